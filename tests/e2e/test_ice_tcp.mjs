// ICE over TCP (RFC 6544, RFC 4571): with UDP to the media port dropped (iptables, on loopback,
// this port only, removed at the end), Chromium still watches, through the server's passive TCP
// candidate; the selected pair is TCP. Two TCP viewers, served from two threads, lose nothing. A
// TCP client that sends an oversized frame length is closed, and a UDP viewer at the same time
// loses nothing.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, ROOT, OUT, ONAIR_BINARY } from './lib/server.mjs';
import { check, done, fail, sleep, waitFor } from './lib/tap.mjs';

const media = path.join(OUT, 'ice-tcp-media');
fs.mkdirSync(media, { recursive: true });
execFileSync(path.join(ROOT, 'scripts/make-demo-media'), [media], { stdio: 'ignore' });

// Two fan-out threads: with two TCP viewers, a keyframe's fan-out is split between them, and the
// worker's share for its TCP viewer goes out through the loop's thread. The source hands over
// whole frames (--no-source-pacing), and fan-outs are split from 16 packet copies (--split-from;
// the default, 256, keeps two viewers' fan-outs on one thread).
const server = await startServer('ice_tcp', {
    args: ['--media-tcp-port', '0', '--workers', '2', '--split-from', '16', '--no-source-pacing',
           '--source', `cam=${path.join(media, 'demo.webm')}`],
});
const tcpPort = Number(/ICE-TCP on port (\d+)/.exec(server.log())?.[1]);
const rule = ['INPUT', '-i', 'lo', '-p', 'udp', '--dport', String(server.mediaPort), '-j', 'DROP'];
let blocked = false;
const unblock = () => {
    if (blocked) execFileSync('iptables', ['-D', ...rule]);
    blocked = false;
};
process.on('exit', unblock);
const browser = await launchBrowser();
const splitFanOuts = async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return Number(/^onair_fan_outs_split_total (\d+)/m.exec(text)?.[1] ?? -1);
};

try {
    check(tcpPort > 0, 'the server listens for ICE-TCP', tcpPort);
    execFileSync('iptables', ['-I', ...rule]);
    blocked = true;
    const page = await openPage(browser, 'ice_tcp', 'watch');
    await page.goto(`${server.url}/watch/cam`);
    const frames = () => page.evaluate(() => window.onair.stats.framesDecoded || 0);
    const playing = await waitFor(async () => (await frames()) > 60, 30000);
    check(playing, 'with UDP dropped, Chromium plays the stream', await frames());
    const pair = await page.evaluate(async () => {
        const stats = await window.onair.pc.getStats();
        let transport = null;
        stats.forEach((s) => { if (s.type === 'transport') transport = s; });
        const p = transport && stats.get(transport.selectedCandidatePairId);
        const local = p && stats.get(p.localCandidateId), remote = p && stats.get(p.remoteCandidateId);
        return p && { protocol: remote?.protocol, tcpType: remote?.tcpType, port: remote?.port, localProtocol: local?.protocol };
    });
    check(pair?.protocol === 'tcp' && pair?.port === tcpPort && pair?.tcpType === 'passive',
          'the selected pair is TCP to the server\'s passive candidate', pair);

    // A second TCP viewer: the viewers' fan-outs are split between the two threads (one viewer
    // each), and both go on decoding.
    const page2 = await openPage(browser, 'ice_tcp_2', 'watch');
    await page2.goto(`${server.url}/watch/cam`);
    const frames2 = () => page2.evaluate(() => window.onair.stats.framesDecoded || 0);
    check(await waitFor(async () => (await frames2()) > 60, 30000), 'a second TCP viewer plays too',
          await frames2());
    // What each viewer's browser counts as lost or asked again (NACK): nothing, over TCP on
    // loopback, unless a share of a split fan-out went astray (NACKs would repair it unseen).
    const repairs = (p) => p.evaluate(async () => {
        let lost = 0, nacks = 0;
        (await window.onair.pc.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp') { lost += Math.max(s.packetsLost || 0, 0); nacks += s.nackCount || 0; }
        });
        return lost + nacks;
    });
    const splitBefore = await splitFanOuts();
    const both = [await frames(), await frames2()];
    const repairsBefore = [await repairs(page), await repairs(page2)];
    await sleep(3000);
    const bothAfter = [await frames(), await frames2()];
    const repairsAfter = [await repairs(page), await repairs(page2)];
    check(bothAfter[0] > both[0] + 45 && bothAfter[1] > both[1] + 45,
          'both TCP viewers decode on while fan-outs are split', `${both} -> ${bothAfter}`);
    check(repairsAfter[0] === repairsBefore[0] && repairsAfter[1] === repairsBefore[1],
          'neither TCP viewer lost a packet or sent a NACK meanwhile', `${repairsBefore} -> ${repairsAfter}`);
    const split = (await splitFanOuts()) - splitBefore;
    check(split > 0, 'fan-outs to the two TCP viewers were split between the threads', split);
    await page2.close();
    unblock();

    // A TCP client announcing a 65,535-byte frame is closed; the TCP viewer goes on.
    const closed = await new Promise((resolve) => {
        const socket = net.connect(tcpPort, '127.0.0.1', () => socket.write(Buffer.from([0xff, 0xff, 1, 2, 3])));
        socket.on('close', () => resolve(true));
        socket.on('error', () => {});
        setTimeout(() => { socket.destroy(); resolve(false); }, 5000);
    });
    check(closed, 'a TCP client sending an oversized frame length is disconnected');
    check(/closing a connection that sent a frame longer than 4096 bytes/.test(server.log()),
          'and the server says why in its log');
    const before = await frames();
    await sleep(2000);
    check((await frames()) > before + 30, 'the TCP viewer kept decoding', `${before} -> ${await frames()}`);

    // A UDP viewer (onair bench) at the same time: every packet arrives.
    const binary = ONAIR_BINARY;
    const out = JSON.parse(execFileSync(binary, ['bench', `${server.url}/whep/cam`, '--viewers', '2', '--seconds', '2', '--json'],
                                        { timeout: 30000 }));
    check(out.connected === 2 && out.sequence_gaps === 0 && out.srtp_auth_failures === 0,
          'UDP viewers alongside get everything, authenticated', out);
    check(page.problems.length === 0, 'no console errors', page.problems);
} catch (error) {
    fail('ICE-TCP scenario', error);
} finally {
    unblock();
    await browser.close();
    const problems = await server.stop();
    check(problems.length === 0, 'the server ran and stopped cleanly', problems.join('; '));
}
done();
