// bench/gso-chromium.mjs [VIEWERS] [SECONDS]: how a browser publisher's packets leave the server.
// Headless Chromium publishes its fake camera and microphone through /publish/NAME on a server
// of its own (ONAIR, default build/onair); after 10 s of warm-up, `onair bench` watches with
// VIEWERS (default 3) for SECONDS (default 8). Prints the server's datagrams and send messages
// over that time (a GSO message carries a run of datagrams to one viewer), the server's CPU in
// it (process_cpu_seconds_total, from when all have joined) and what the browser sent. Unlike
// the benchmark's feed, Chromium splits a frame about equally (its last packets a byte longer)
// and the server reads its packets in batches of one, so its frames reach the fan-out in
// smaller runs (bench/RESULTS.md, session 10).
import { spawn } from 'node:child_process';
import { startServer, ONAIR_BINARY } from '../tests/e2e/lib/server.mjs';
import { launchBrowser, openPage } from '../tests/e2e/lib/browser.mjs';

const [viewers = '3', seconds = '8'] = process.argv.slice(2);
const server = await startServer('gso-chromium', {});
const browser = await launchBrowser();
try {
    const page = await openPage(browser, 'gso-chromium', 'publisher');
    await page.goto(`${server.url}/publish/gso`);
    await page.evaluate(() => window.onair.start());
    await new Promise((resolve) => setTimeout(resolve, 10000));
    const counter = (text, name) => Number(new RegExp(`^${name} (.*)$`, 'm').exec(text)[1]);
    const scrape = async () => {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        return { datagrams: counter(text, 'onair_udp_datagrams_sent_total'),
                 messages: counter(text, 'onair_udp_send_messages_total'),
                 cpu: counter(text, 'process_cpu_seconds_total') };
    };
    // From when every viewer has joined (the bench says so) to the end of its measuring.
    const bench = spawn(ONAIR_BINARY, ['bench', `${server.url}/whep/gso`, '--viewers', viewers, '--seconds', seconds],
                        { stdio: ['ignore', 'ignore', 'pipe'] });
    let before = null;
    bench.stderr.on('data', (chunk) => {
        process.stderr.write(chunk);
        if (!before && /measuring for/.test(String(chunk)))
            before = scrape();
    });
    const code = await new Promise((resolve) => bench.on('exit', resolve));
    const after = await scrape();
    if (code !== 0 || !before)
        throw new Error(`onair bench failed (exit ${code})`);
    before = await before;
    const sent = await page.evaluate(async () => {
        const out = {};
        (await window.onair.pc.getStats()).forEach((r) => {
            if (r.type === 'outbound-rtp')
                out[r.kind] = { packets: r.packetsSent, bytes: r.bytesSent, width: r.frameWidth, fps: r.framesPerSecond };
        });
        return out;
    });
    const datagrams = after.datagrams - before.datagrams, messages = after.messages - before.messages;
    const cpu = after.cpu - before.cpu;
    console.log(JSON.stringify({ viewers: Number(viewers), seconds: Number(seconds), datagrams, messages,
                                 datagrams_per_message: +(datagrams / messages).toFixed(3),
                                 server_cpu_s: +cpu.toFixed(3), server_us_per_datagram: +(cpu * 1e6 / datagrams).toFixed(2),
                                 publisher: sent }));
} finally {
    await browser.close();
    await server.stop();
}
