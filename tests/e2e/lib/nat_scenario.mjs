// nat_scenario.mjs: one NAT test: the network of netns.mjs, onair (and coturn) on the public
// side, and on the private side a Chromium that publishes with /publish/NAME and watches with
// /watch/NAME (the server's own pages, which take their ICE servers from onair), optionally an
// aiortc viewer too. Checks that video flows both ways through the router and that the pair each
// peer selected is the one the scenario expects.
import crypto from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { launchBrowser, openPage } from './browser.mjs';
import {
    CLIENT_IP, HTTP_PORT, MEDIA_PORT, MEDIA_TCP_PORT, NAT_IP, PAIR_PROBE, PUB_IP, TURN_PORT, TURN_TCP_443,
    describeCandidate, makeNetwork, startCoturn,
} from './netns.mjs';
import { startServer, ROOT, ONAIR_BINARY } from './server.mjs';
import { check, done, fail, note, sleep, waitFor } from './tap.mjs';

export { CLIENT_IP, MEDIA_PORT, MEDIA_TCP_PORT, NAT_IP, PUB_IP, TURN_PORT, TURN_TCP_443, describeCandidate };

// The ICE servers onair hands out, all on coturn: STUN, TURN over UDP, and TURN over TCP on 443.
export const ICE_SERVERS = [
    `stun:${PUB_IP}:${TURN_PORT}`,
    `turn:${PUB_IP}:${TURN_PORT}?transport=udp`,
    `turn:${PUB_IP}:${TURN_TCP_443}?transport=tcp`,
];

const pairOf = (page) => page.evaluate(async (probe) => {
    // eslint-disable-next-line no-new-func
    const read = new Function(`return (${probe})`)();
    const pair = await read(window.onair.pc);
    // getStats lists only the candidates still paired: what was gathered comes from the events.
    return pair && { ...pair, gathered: window.natTestGathered };
}, PAIR_PROBE.toString());

// Before the page's scripts: every local candidate any peer connection of the page gathers,
// as "type protocol address:port", in window.natTestGathered.
function recordCandidates() {
    const Native = window.RTCPeerConnection;
    window.natTestGathered = [];
    window.RTCPeerConnection = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener('icecandidate', ({ candidate: c }) => {
                if (c) window.natTestGathered.push(`${c.type} ${c.protocol} ${c.address}:${c.port}`);
            });
        }
    };
}

// The onair binary the clients in the namespace run: ONAIR, as for the server.
const ONAIR = ONAIR_BINARY;

// Runs ARGV in the client namespace, killed after TIMEOUT_MS, tracked by NET meanwhile (so that
// removing the network kills it); resolves once it exits to { code, stdout, stderr, output },
// OUTPUT holding both streams in the order they came, as a log.
function runInClient(net, argv, timeoutMs) {
    return new Promise((resolve) => {
        const child = spawn('ip', ['netns', 'exec', net.ns.client, ...argv],
            { stdio: ['ignore', 'pipe', 'pipe'] });
        net.track(child.pid);
        const result = { stdout: '', stderr: '', output: '' };
        child.stdout.on('data', (d) => { result.stdout += d; result.output += d; });
        child.stderr.on('data', (d) => { result.stderr += d; result.output += d; });
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('exit', (code) => {
            clearTimeout(timer);
            net.untrack(child.pid);
            resolve({ code, ...result });
        });
    });
}

// Runs the aiortc viewer (lib/nat_aiortc.py) in the client namespace, on UDP port PORT when
// given; resolves to its JSON report.
export async function aiortcViewer(net, url, seconds, port) {
    const script = path.join(ROOT, 'tests/e2e/lib/nat_aiortc.py');
    const argv = ['/usr/bin/python3', script, url, String(seconds), ...(port ? [String(port)] : [])];
    const { code, stdout, stderr } = await runInClient(net, argv, (seconds + 40) * 1000);
    try {
        return JSON.parse(stdout.trim().split('\n').pop());
    } catch {
        return { error: `exit ${code}: ${stdout.slice(-500)} ${stderr.slice(-1500)}` };
    }
}

// Runs `onair record URL --duration SECONDS` in the client namespace; resolves to its exit
// code, its log and the video frames ffprobe decodes from what it wrote.
export async function onairRecord(net, url, seconds) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-nat-record-'));
    const out = path.join(dir, 'out.mkv');
    const { code, output } = await runInClient(net, [ONAIR, 'record', url, out,
        '--duration', String(seconds), '--log-level', 'info'], (seconds + 40) * 1000);
    let frames = 0;
    try {
        frames = Number(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-count_frames',
            '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', out]).toString().trim()) || 0;
    } catch { /* no file */ }
    fs.rmSync(dir, { recursive: true, force: true });
    return { code, log: output, frames };
}

// Runs `onair publish` of a generated 8 s VP8 + Opus clip to URL in the client namespace;
// returns { done: a promise of { code, log } }.
export function onairPublish(net, url) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-nat-publish-'));
    const clip = path.join(dir, 'clip.webm');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30',
        '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '8', '-c:v', 'libvpx', '-g', '30',
        '-b:v', '400k', '-deadline', 'realtime', '-c:a', 'libopus', clip]);
    const done = runInClient(net, [ONAIR, 'publish', clip, url, '--log-level', 'info'], 60000)
        .then(({ code, output }) => {
            fs.rmSync(dir, { recursive: true, force: true });
            return { code, log: output };
        });
    return { done };
}

// SCENARIO: { test, nat ('masquerade' | 'random'), firewall(net) adds FORWARD rules, tcp (onair
// --media-tcp-port), turn (coturn and ICE_SERVERS), aiortc (also an aiortc viewer),
// serverSees (a RegExp for every "ADDR:PORT UDP|TCP" path onair validated checks from),
// expect(pair, role) returns [ok, what] for the selected pair of 'publisher' or 'viewer',
// expectAiortc(pair) the same for aiortc, onair ({ log: RegExp, what }: an `onair record` in the
// client namespace too, whose log must match), extra(ctx) more checks }.
export async function runScenario(scenario) {
    const { test } = scenario;
    const NAME = `nat-${process.pid}`;
    const secret = crypto.randomBytes(12).toString('hex');
    let net;
    let coturn;
    let server;
    let browser;
    try {
        net = makeNetwork(test.replace(/^nat_/, ''), { nat: scenario.nat });
        scenario.firewall?.(net);
        if (scenario.turn) coturn = await startCoturn(net, test, secret);
        const args = [];
        if (scenario.tcp) args.push('--media-tcp-port', String(MEDIA_TCP_PORT));
        if (scenario.turn) {
            for (const url of ICE_SERVERS) args.push('--ice-server', url);
            args.push('--turn-secret', secret);
        }
        server = await startServer(test, {
            netns: net.ns.pub, host: PUB_IP, port: HTTP_PORT, mediaPort: MEDIA_PORT, publicIp: PUB_IP, args,
        });
        net.track(server.pid);
        note(`onair ${server.url} in ${net.ns.pub}; client ${CLIENT_IP} in ${net.ns.client} behind ${NAT_IP}`);
        // A camera needs a secure origin; the server is plain http on a public address here.
        browser = await launchBrowser({
            netns: net.ns.client, args: [`--unsafely-treat-insecure-origin-as-secure=${server.url}`],
        });

        const publisher = await openPage(browser, test, 'publisher');
        await publisher.addInitScript(recordCandidates);
        await publisher.goto(`${server.url}/publish/${NAME}`);
        await publisher.evaluate(() => window.onair.start());
        const live = await waitFor(() => publisher.evaluate(() => window.onair.state === 'live'), 30000);
        check(live, 'the publisher behind the router goes live',
            await publisher.evaluate(() => ({ state: window.onair.state, error: document.getElementById('error').textContent })));

        const viewer = await openPage(browser, test, 'viewer');
        await viewer.addInitScript(recordCandidates);
        await viewer.goto(`${server.url}/watch/${NAME}`);
        const frames = () => viewer.evaluate(() => window.onair.stats.framesDecoded || 0);
        const playing = await waitFor(async () => (await frames()) > 30, 30000);
        check(playing, 'the viewer behind the router decodes the publisher\'s video', await frames());
        const before = await frames();
        await sleep(2000);
        const after = await frames();
        check(after > before + 20, 'and keeps decoding (frames rise over 2 s)', { before, after });

        // The pair may still move to a better one just after connecting: wait for the expected
        // one a little, then judge what is selected.
        for (const [role, page] of [['publisher', publisher], ['viewer', viewer]]) {
            const pair = await waitFor(async () => {
                const p = await pairOf(page);
                return p && scenario.expect(p, role)[0] ? p : null;
            }, 10000) || await pairOf(page);
            note(`${role}: selected ${describeCandidate(pair?.local)} -> ${describeCandidate(pair?.remote)}`,
                { state: pair?.state, nominated: pair?.nominated, gathered: pair?.gathered });
            const [ok, what] = scenario.expect(pair, role);
            check(ok, `${role}: ${what}`, pair);
        }
        // The server's side of the pairs: the addresses its checks came from ("checks from ADDR
        // over UDP|TCP" in its log; other pairs that work, a relay one, may be there too), never
        // the client's private one.
        const seen = [...server.log().matchAll(/checks from (\S+) over (UDP|TCP)/g)].map((m) => `${m[1]} ${m[2]}`);
        check(seen.filter((path) => scenario.serverSees.test(path)).length >= 2,
            `onair saw the publisher and the viewer at ${scenario.serverSees.source}`, seen);
        check(!seen.some((path) => path.startsWith(`${CLIENT_IP}:`)), 'onair never saw the private address', seen);
        const pub = await pairOf(publisher);
        check(pub?.framesEncoded > 60, 'the publisher keeps sending video', pub?.framesEncoded);

        if (scenario.aiortc) {
            const report = await aiortcViewer(net, `${server.url}/whep/${NAME}`, 5);
            note('aiortc viewer:', report);
            check(report.frames > 30, 'an aiortc viewer behind the router receives video frames', report);
            const [ok, what] = scenario.expectAiortc(report.pair);
            check(ok, `aiortc: ${what}`, report.pair);
        }
        if (scenario.onair) {
            const rec = await onairRecord(net, `${server.url}/whep/${NAME}`, 4);
            note('onair record:', rec.log.trim().split('\n').slice(-4).join(' | '));
            check(rec.code === 0 && rec.frames > 40,
                `onair record behind the router records the stream (${rec.frames} video frames in 4 s)`, rec);
            check(scenario.onair.log.test(rec.log), `onair record: ${scenario.onair.what}`, rec.log);
            // And onair publish from behind the router, recorded back the same way.
            const pub = onairPublish(net, `${server.url}/whip/${NAME}-cli`);
            await sleep(scenario.onair.publishDelayMs ?? 1000);
            const back = await onairRecord(net, `${server.url}/whep/${NAME}-cli`, 3);
            const published = await pub.done;
            note('onair publish:', published.log.trim().split('\n').slice(-3).join(' | '));
            check(published.code === 0 && scenario.onair.log.test(published.log),
                `onair publish behind the router: exits 0 at the end of its clip, and ${scenario.onair.what}`, published);
            check(back.code === 0 && back.frames > 45,
                `what onair publish sent from behind the router is recorded back (${back.frames} frames in 3 s)`, back);
        }
        await scenario.extra?.({ net, server, coturn, publisher, viewer, pairOf, name: NAME });

        const health = await viewer.evaluate(() => fetch('/healthz').then((r) => r.status).catch(String));
        check(health === 200, 'onair is healthy at the end', health);
        for (const [label, page] of [['publisher', publisher], ['viewer', viewer]]) {
            check(page.problems.length === 0, `${label} page: no console errors`, page.problems);
        }
    } catch (error) {
        fail(`the ${test} scenario ran to its end`, error);
        if (net) {
            try { note(net.dump()); } catch { /* namespace gone */ }
        }
    } finally {
        await browser?.close().catch(() => {});
        if (server) {
            const problems = await server.stop();
            net?.untrack(server.pid);
            check(problems.length === 0, 'the server ran and stopped cleanly', problems);
        }
        await coturn?.stop();
        net?.remove();
        done();
    }
}
