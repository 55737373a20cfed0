// HTTPS: `onair serve --tls-cert FILE --tls-key FILE`. Browsers give a page the camera only in a
// secure context, which off localhost means https: the publish page of a plain-HTTP server
// reached by name says it needs a secure origin, while the same page served over TLS goes live,
// and a watch page over TLS plays it. The certificate is one made here for onair.test (which
// Chromium maps to 127.0.0.1), trusted by its public key's hash, and curl checks the chain the
// server presents. onair publish and record trust it with --cacert, and refuse it without.
import { execFileSync, execSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, OUT, ROOT, ONAIR_BINARY } from './lib/server.mjs';
import { check, done, fail, waitFor } from './lib/tap.mjs';

const dir = path.join(OUT, 'https');
fs.mkdirSync(dir, { recursive: true });
const cert = path.join(dir, 'cert.pem');
const key = path.join(dir, 'key.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-days', '2', '-subj', '/CN=onair.test', '-addext', 'subjectAltName=DNS:onair.test,IP:127.0.0.1',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
const spki = execSync(`openssl x509 -in '${cert}' -pubkey -noout | openssl pkey -pubin -outform der | ` +
    'openssl dgst -sha256 -binary | base64', { encoding: 'utf8' }).trim();

// This process checks the server's health over https before the test trusts anything: the
// certificate is checked by curl below, and by Chromium through its hash.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
const server = await startServer('https', { https: true, args: ['--tls-cert', cert, '--tls-key', key] });
const plain = await startServer('https', { logName: 'https-plain' });
const browser = await launchBrowser({
    args: ['--host-resolver-rules=MAP onair.test 127.0.0.1', `--ignore-certificate-errors-spki-list=${spki}`],
});

const media = path.join(OUT, 'https-media');
fs.mkdirSync(media, { recursive: true });
execFileSync(path.join(ROOT, 'scripts/make-demo-media'), [media], { stdio: 'ignore' });
const clip = path.join(media, 'demo.webm');
let filePublisher = null;

const curl = (...args) => {
    try {
        return execFileSync('curl', ['-s', '-m', '5', ...args], { encoding: 'utf8' });
    } catch (error) {
        return `curl exit ${error.status}`;
    }
};

try {
    check(/listening: HTTPS/.test(server.log()), 'the server says it serves HTTPS', server.log().split('\n')[1]);
    const healthz = curl('--cacert', cert, `https://127.0.0.1:${server.port}/healthz`);
    check(healthz.trim() === 'ok', 'curl trusting only the certificate gets /healthz over TLS', healthz);
    const viaName = curl('--cacert', cert, '--resolve', `onair.test:${server.port}:127.0.0.1`,
                         `https://onair.test:${server.port}/api/streams`);
    check(/"streams"/.test(viaName), 'and /api/streams by the certificate\'s name', viaName);
    const cleartext = curl(`http://127.0.0.1:${server.port}/healthz`);
    check(/^curl exit/.test(cleartext), 'plain HTTP on the TLS port gets no answer', cleartext);

    // Off localhost over plain HTTP the page has no camera.
    const insecure = await openPage(browser, 'https', 'plain-publish');
    await insecure.goto(`http://onair.test:${plain.port}/publish/cam`);
    const refused = await waitFor(() => insecure.evaluate(() => {
        const error = document.getElementById('error').textContent;
        return error && { secure: window.isSecureContext, error };
    }), 10000);
    check(refused && !refused.secure && /secure origin/.test(refused.error),
          'over plain HTTP by name, the publish page says it needs a secure origin', refused);
    await insecure.close();

    const publisher = await openPage(browser, 'https', 'publish');
    await publisher.goto(`https://onair.test:${server.port}/publish/cam`);
    await waitFor(() => publisher.evaluate(() => !!window.onair.media), 10000);
    await publisher.click('#go');
    const live = await waitFor(() => publisher.evaluate(() => window.onair.state === 'live' && window.isSecureContext), 15000);
    check(live, 'over HTTPS the same page captures the camera and goes live', await publisher.evaluate(() => ({
        state: window.onair.state, secure: window.isSecureContext, error: document.getElementById('error').textContent })));

    const viewer = await openPage(browser, 'https', 'watch');
    await viewer.goto(`https://onair.test:${server.port}/watch/cam`);
    const playing = await waitFor(async () => {
        const s = await viewer.evaluate(() => window.onair.stats);
        return s.framesDecoded > 30 && s;
    }, 20000);
    check(playing, `a watch page over HTTPS plays it (${playing?.framesDecoded} frames)`, playing || await viewer.evaluate(() => window.onair.stats));
    check(publisher.problems.length === 0 && viewer.problems.length === 0, 'no console errors on either page',
          [...publisher.problems, ...viewer.problems]);

    // onair's own clients over https: the system's CAs do not know this certificate.
    const url = `https://127.0.0.1:${server.port}`;
    const untrusted = spawnSync(ONAIR_BINARY, ['publish', clip, `${url}/whip/file`], { encoding: 'utf8', timeout: 20000 });
    check(untrusted.status !== 0 && /certificate/i.test(untrusted.stderr),
          'onair publish to it without --cacert exits non-zero over the certificate', untrusted.stderr);
    filePublisher = spawn(ONAIR_BINARY, ['publish', clip, `${url}/whip/file`, '--loop', '--cacert', cert], { stdio: 'ignore' });
    const fileLive = await waitFor(async () => (await (await fetch(`${url}/api/streams/file`)).json()).live, 15000);
    check(fileLive, 'onair publish --cacert CERT goes live over https', fileLive);
    const recorded = path.join(dir, 'file.mkv');
    const rec = spawnSync(ONAIR_BINARY, ['record', `${url}/whep/file`, recorded, '--duration', '2', '--cacert', cert],
                          { encoding: 'utf8', timeout: 20000 });
    const frames = rec.status === 0 ? Number(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0',
        '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', recorded], { encoding: 'utf8' })) : 0;
    // Its DELETE went over https too: the session ends by it, not by the DTLS close after it.
    const ended = /viewer of file closed: ended by DELETE/.test(server.log());
    check(frames > 20 && ended, `onair record --cacert records it (${frames} frames) and ends its session with DELETE`,
          { stderr: rec.stderr, frames, ended });
} catch (error) {
    fail('https', error);
} finally {
    filePublisher?.kill('SIGINT');
    await browser.close();
    for (const s of [server, plain]) {
        const problems = await s.stop();
        check(problems.length === 0, `the ${s === server ? 'HTTPS' : 'plain'} server ran and stopped cleanly`, problems.join('; '));
    }
}
done();
