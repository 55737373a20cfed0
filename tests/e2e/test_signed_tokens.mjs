// Signed tokens: `onair serve --token-secret SECRET`. An application's backend mints JWTs (here
// with Node's crypto, as any JWT library does: HS256, claims stream, role, exp) and its users'
// pages take them as #token=; `onair token` mints the same. Every stream needs a token; the
// 401s say what is wrong with a refused one (expired, for another stream, for the other role,
// another algorithm, another secret).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, ONAIR_BINARY } from './lib/server.mjs';
import { check, done, fail, waitFor } from './lib/tap.mjs';

const SECRET = crypto.randomBytes(32).toString('base64url');
const server = await startServer('signed_tokens', { args: ['--token-secret', SECRET] });
const browser = await launchBrowser();

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
// A JWT as a backend makes it: HEADER and CLAIMS signed with KEY (HMAC-SHA256).
function jwt(claims, { header = { alg: 'HS256', typ: 'JWT' }, key = SECRET } = {}) {
    const body = `${b64url(header)}.${b64url(claims)}`;
    return `${body}.${crypto.createHmac('sha256', key).update(body).digest('base64url')}`;
}
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

async function whep(stream, token) {
    const headers = { 'Content-Type': 'application/sdp', ...(token ? { Authorization: `Bearer ${token}` } : {}) };
    const r = await fetch(`${server.url}/whep/${stream}`, { method: 'POST', headers, body: 'v=0\r\n' });
    return { status: r.status, challenge: r.headers.get('WWW-Authenticate'), body: (await r.text()).trim() };
}

const streamNames = async (token) => {
    const r = await fetch(`${server.url}/api/streams`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    return (await r.json()).streams.map((s) => s.name);
};

try {
    const log = server.log().split('\n').filter((l) => !l.startsWith('#')).join('\n'); // not the harness's command line
    check(/publishing needs a token: every stream/.test(log) && /watching needs a token: every stream/.test(log) &&
          !log.includes(SECRET) && !/easy to guess/.test(log),
          'the server logs that every stream needs a token, and not the secret', log.split('\n').filter((l) => /token/.test(l)));

    // Refusals: each says what is wrong with the token.
    const now = Math.floor(Date.now() / 1000);
    const refusals = [
        [undefined, /^watching 'cam' needs a token: send Authorization: Bearer TOKEN$/],
        // Expired a minute ago: past the 30 s a server's clock may be behind the backend's.
        [jwt({ stream: 'cam', role: 'watch', exp: now - 60 }), /^the token is not one for watching 'cam': the token has expired$/],
        [jwt({ stream: 'lobby', role: 'watch', exp: inAnHour() }), /: the token is for another stream$/],
        [jwt({ stream: 'cam', role: 'publish', exp: inAnHour() }), /: the token is for publishing$/],
        [jwt({ stream: 'cam', role: 'watch', exp: inAnHour() }, { key: 'not the secret' }), /: the token's signature does not match the secret$/],
        [jwt({ stream: 'cam', role: 'watch', exp: inAnHour() }, { header: { alg: 'HS384' } }), /: the token is not signed with HS256/],
        [`${b64url({ alg: 'none' })}.${b64url({ stream: 'cam', role: 'watch', exp: inAnHour() })}.`, /^the token is not one for watching 'cam'$/],
    ];
    for (const [token, reason] of refusals) {
        const r = await whep('cam', token);
        check(r.status === 401 && reason.test(r.body) && r.challenge.startsWith('Bearer realm="onair"'),
              `WHEP refused: ${r.body}`, r);
    }

    // A backend's token on the publish page: live.
    const publishToken = jwt({ stream: 'cam', role: 'publish', exp: inAnHour(), sub: 'user-42' });
    const pub = await openPage(browser, 'signed_tokens', 'publish');
    await pub.goto(`${server.url}/publish/cam#token=${publishToken}`);
    await waitFor(() => pub.evaluate(() => !!window.onair.media), 10000);
    await pub.click('#go');
    const live = await waitFor(() => pub.evaluate(() => window.onair.state === 'live'), 15000);
    check(live, 'the publish page with a JWT from the backend (#token=) goes live', live);

    // `onair token` mints one for watching every stream; the watch page plays with it.
    const minted = spawnSync(ONAIR_BINARY, ['token', '--stream', '*', '--role', 'watch', '--ttl', '600'],
                             { env: { ...process.env, ONAIR_TOKEN_SECRET: SECRET }, encoding: 'utf8' });
    const watchToken = minted.stdout.trim();
    const [, claims] = watchToken.split('.');
    const decoded = claims ? JSON.parse(Buffer.from(claims, 'base64url').toString()) : {};
    check(minted.status === 0 && decoded.stream === '*' && decoded.role === 'watch' &&
          Math.abs(decoded.exp - (Date.now() / 1000 + 600)) < 30,
          'onair token --stream "*" --role watch --ttl 600 prints a JWT with those claims', { minted, decoded });
    const env = { ...process.env };
    delete env.ONAIR_TOKEN_SECRET;
    const noSecret = spawnSync(ONAIR_BINARY, ['token', '--stream', 'cam', '--role', 'watch'], { env, encoding: 'utf8' });
    const badRole = spawnSync(ONAIR_BINARY, ['token', '--stream', 'cam', '--role', 'admin', '--secret', 'x'], { encoding: 'utf8' });
    check(noSecret.status === 2 && /no secret: --secret SECRET or ONAIR_TOKEN_SECRET/.test(noSecret.stderr) &&
          badRole.status === 2 && /--role publish or --role watch/.test(badRole.stderr) && !badRole.stdout,
          'onair token without a secret, or with another role, exits 2 with the reason and prints no token', { noSecret, badRole });
    const viewer = await openPage(browser, 'signed_tokens', 'watch');
    await viewer.goto(`${server.url}/watch/cam#token=${watchToken}`);
    const frames = await waitFor(async () => {
        const n = await viewer.evaluate(() => window.onair.stats.framesDecoded || 0);
        return n > 30 && n;
    }, 20000);
    check(frames, `the watch page with the token from onair token plays (${frames} frames decoded)`, frames);

    // The API shows the stream to holders of a token for it, and so do the ICE servers.
    const hidden = await streamNames();
    const shown = await streamNames(watchToken);
    check(!hidden.includes('cam') && shown.includes('cam'), "GET /api/streams lists 'cam' only with a token", { hidden, shown });
    const ice = await fetch(`${server.url}/api/ice-servers?stream=cam&role=publish`, { headers: { Authorization: `Bearer ${publishToken}` } });
    check(ice.status === 200, 'GET /api/ice-servers for publishing takes the publish JWT', ice.status);
    await viewer.close();
    await pub.close();
} catch (error) {
    fail('signed tokens', error);
} finally {
    await browser.close();
    const problems = await server.stop();
    check(problems.length === 0, 'the server ran and stopped cleanly', problems.join('; '));
}
done();
