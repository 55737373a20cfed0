// test_watch_full: a watch page refused by a full server (--max-viewers; --max-load answers the
// same way) says why and waits as long as the server's Retry-After asks, not its own shorter
// backoff, then plays once a place is free.
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { check, done, fail, note, sleep, waitFor } from './lib/tap.mjs';

const TEST = 'watch_full';
const NAME = `full-${process.pid}`;

const watcher = (page) => page.evaluate(() => ({
    state: window.onair.state,
    connects: window.onair.connects,
    framesDecoded: window.onair.stats.framesDecoded || 0,
    overlay: document.getElementById('overlay')?.textContent || '',
    error: document.getElementById('error').textContent,
}));

async function waitForPlaying(page, timeoutMs) {
    let seen;
    await waitFor(async () => {
        seen = await watcher(page);
        return seen.state === 'playing' && seen.framesDecoded > 10;
    }, timeoutMs);
    return seen;
}

async function run(browser, server) {
    const publisher = await openPage(browser, TEST, 'publisher');
    await publisher.goto(`${server.url}/publish/${NAME}`);
    await publisher.evaluate(() => window.onair.start());
    const first = await openPage(browser, TEST, 'first');
    await first.goto(`${server.url}/watch/${NAME}`);
    let seen = await waitForPlaying(first, 15000);
    check(seen.state === 'playing', 'the first viewer plays', seen);

    const second = await openPage(browser, TEST, 'second');
    await second.goto(`${server.url}/watch/${NAME}`);
    seen = await waitFor(async () => {
        const s = await watcher(second);
        return s.state === 'reconnecting' && s;
    }, 10000);
    check(/^The server refused: .*limit of 1 viewers \(--max-viewers\)/.test(seen?.error || ''),
        'the second viewer is refused and says why (a refusal, not a lost connection)', seen);
    // The page's own backoff would try again after about 1 s; the server asked for 10.
    check(/Reconnecting in 1[0-2] s/.test(seen?.overlay || ''),
        'and says it tries again when the server asked (Retry-After: 10)', seen);
    await sleep(8000);
    seen = await watcher(second);
    check(seen.connects === 1 && seen.state === 'reconnecting',
        'it has not asked again 8 s later', seen);

    await first.close(); // its session ends (the page sends the DELETE as it goes)
    seen = await waitForPlaying(second, 20000);
    check(seen.state === 'playing' && seen.framesDecoded > 10 && seen.connects === 2,
        'with the place free it plays, at its second try', seen);
}

let server;
let browser;
try {
    server = await startServer(TEST, { args: ['--max-viewers', '1'] });
    note(`server ${server.url} pid ${server.pid}, log ${server.logPath}`);
    browser = await launchBrowser();
    await run(browser, server);
} catch (error) {
    fail('the test ran to its end', error);
} finally {
    await browser?.close().catch(() => {});
    if (server && !server.stopped()) {
        const problems = await server.stop();
        check(problems.length === 0, 'the server ran and stopped cleanly', problems);
    }
    done();
}
