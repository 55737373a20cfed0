// bench/join-ab.mjs STREAM ROUNDS BASE...: the watch page's join against several running servers
// (each BASE an http:// root, e.g. two builds of onair serving the same --source), to tell a
// change to the page or the server from this host's drift, which moves every join by 100 ms
// and more in minutes. One headless Chromium (as the tests run it) joins BASE/watch/STREAM in a
// fresh context, ROUNDS times for each server, the servers' order rotating every round; the
// browser's first join, which pays for its own start, is left out. A join is what the canary
// times: page asked → first frame shown (requestVideoFrameCallback's presentation time).
// Prints, for each server, p25, p50, p75 and the mean, in ms.
import { launchBrowser } from '../tests/e2e/lib/browser.mjs';
import { joinWatchPage } from './watch-join.mjs';

const [stream, rounds, ...bases] = process.argv.slice(2);
if (!stream || !Number(rounds) || bases.length === 0) {
    console.error('usage: bench/join-ab.mjs STREAM ROUNDS BASE...');
    process.exit(2);
}

const browser = await launchBrowser();

async function join(base) {
    const { context, joinMs } = await joinWatchPage(browser, base, stream);
    await context.close();
    if (joinMs === null) throw new Error(`${base}: no frame shown within 20 s`);
    return joinMs;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
try {
    await join(bases[0]);
    const joins = bases.map(() => []);
    for (let r = 0; r < Number(rounds); r++) {
        for (let k = 0; k < bases.length; k++) {
            const i = (r + k) % bases.length;
            joins[i].push(await join(bases[i]));
        }
    }
    bases.forEach((base, i) => {
        const sorted = [...joins[i]].sort((a, b) => a - b);
        const mean = Math.round(sorted.reduce((sum, ms) => sum + ms, 0) / sorted.length);
        console.log(`${base} joins ${sorted.length} p25 ${quantile(sorted, 0.25)} p50 ` +
            `${quantile(sorted, 0.5)} p75 ${quantile(sorted, 0.75)} mean ${mean} ms`);
    });
} finally {
    await browser.close();
}
