// An edge seen from a browser: Chromium watches /watch/relay on an onair whose --source relay is
// another onair's stream (whep://), and decodes the origin's video and audio, as from any stream.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, ROOT, OUT } from './lib/server.mjs';
import { check, done, fail, waitFor } from './lib/tap.mjs';

const media = path.join(OUT, 'edge-watch-media');
execFileSync(path.join(ROOT, 'scripts/make-demo-media'), [media], { stdio: 'ignore' });
const origin = await startServer('edge-watch-origin', { args: ['--source', `demo=${path.join(media, 'demo.webm')}`] });
const edge = await startServer('edge-watch-edge', { args: ['--source', `relay=whep://127.0.0.1:${origin.port}/whep/demo`] });
let browser;
try {
    const live = await waitFor(async () => (await (await fetch(`${edge.url}/api/streams`)).json())
        .streams.some((s) => s.name === 'relay' && s.live), 10000);
    check(live, 'the edge relays the origin\'s stream');
    browser = await launchBrowser();
    const page = await openPage(browser, 'edge-watch', 'viewer');
    await page.goto(`${edge.url}/watch/relay`);
    const playing = await waitFor(() => page.evaluate(() => {
        const s = window.onair?.stats || {};
        return (s.framesDecoded || 0) > 60 && { frames: s.framesDecoded, audio: s.audioSamples || s.totalSamplesReceived || 0,
            width: document.getElementById('video').videoWidth };
    }), 20000);
    check(playing && playing.width > 0, `Chromium watching the edge decodes the origin's video (${playing?.frames} frames, ${playing?.width} px wide)`,
          playing || await page.evaluate(() => window.onair?.stats));
    const audio = await page.evaluate(async () => {
        const stats = await window.onair.pc.getStats();
        let samples = 0;
        stats.forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'audio') samples = r.totalSamplesReceived || 0; });
        return samples;
    });
    check(audio > 48000, `and its audio (${audio} samples)`, audio);
    const originInfo = await (await fetch(`${origin.url}/api/streams/demo`)).json();
    const edgeInfo = await (await fetch(`${edge.url}/api/streams/relay`)).json();
    check(originInfo.viewers === 1 && edgeInfo.viewers === 1,
          'the origin sees the edge as its one viewer, the edge the browser', { origin: originInfo.viewers, edge: edgeInfo.viewers });
} catch (error) {
    fail('edge watch', error);
} finally {
    await browser?.close();
    const problems = [...await edge.stop(), ...await origin.stop()];
    check(problems.length === 0, 'both servers ran and stopped cleanly', problems.join('; '));
}
done();
