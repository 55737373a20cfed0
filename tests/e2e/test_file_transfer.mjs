// test_file_transfer: files through a stream's room. A publisher page (Pub) and two viewer pages
// (Ann, Bob); Ann picks a 50 MiB file of random bytes in her Files panel; Pub and Bob receive it
// with the SHA-256 of the original, get a save link under its name, and the video keeps
// decoding on the viewer pages (and encoding on the publisher's) all through the transfer;
// chat goes on beside it. A file over the size limit is refused with the reason in the sender's
// panel, and no one else hears of it. A file from the publisher carries the broadcaster mark.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, OUT } from './lib/server.mjs';
import { check, done, fail, note, sleep, waitFor } from './lib/tap.mjs';

const TEST = 'file_transfer';
const NAME = `files-${process.pid}`;
const FILE_BYTES = 50 * 1024 * 1024;

// Writes FILE_BYTES of random bytes into a temporary directory; returns its path and SHA-256.
function makeFile() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-files-'));
    const file = path.join(dir, 'big random.bin');
    const hash = crypto.createHash('sha256');
    const fd = fs.openSync(file, 'w');
    for (let left = FILE_BYTES; left > 0;) {
        const chunk = crypto.randomBytes(Math.min(left, 1 << 20));
        hash.update(chunk);
        fs.writeSync(fd, chunk);
        left -= chunk.length;
    }
    fs.closeSync(fd);
    return { dir, file, sha256: hash.digest('hex') };
}

const filesOf = (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.onair.files.files)));

// Frames decoded (viewers) or encoded (the publisher), read from the page's connection.
function frames(page) {
    return page.evaluate(async () => {
        const pc = window.onair.pc;
        if (!pc) return 0;
        let n = 0;
        (await pc.getStats()).forEach((r) => {
            if (r.type === 'inbound-rtp' && r.kind === 'video') n += r.framesDecoded || 0;
            if (r.type === 'outbound-rtp' && r.kind === 'video') n += r.framesEncoded || 0;
        });
        return n;
    });
}

const chatTexts = (page) => page.evaluate(() => window.onair.chat.messages.map((m) => m.text));

async function run(server, browser, big) {
    const open = async (label, urlPath) => {
        const page = await openPage(browser, TEST, label);
        await page.goto(`${server.url}${urlPath}`);
        return page;
    };
    const pub = await open('Pub', `/publish/${NAME}`);
    await pub.evaluate(() => window.onair.start());
    check(await waitFor(() => pub.evaluate(() => window.onair.state === 'live'), 10000), 'the publish page goes live');
    const ann = await open('Ann', `/watch/${NAME}`);
    const bob = await open('Bob', `/watch/${NAME}`);
    const all = { Pub: pub, Ann: ann, Bob: bob };
    for (const [name, page] of Object.entries(all)) {
        const ready = await waitFor(() => page.evaluate(() => window.onair.files.open && window.onair.chat.open), 15000);
        check(ready, `${name}: the file and chat channels open`);
    }
    for (const [name, page] of Object.entries(all)) {
        const n = await waitFor(async () => { const f = await frames(page); return f > 30 && f; }, 15000);
        check(n > 30, `${name}: video flows before the transfer (more than 30 frames)`, n);
    }

    // Ann sends the file through her panel's file input, as a person picking it would.
    const started = Date.now();
    await ann.setInputFiles('#files .files-input', big.file);
    const samples = { Pub: [], Ann: [], Bob: [] };
    let chatSent = false;
    let chatDuringTransfer = null;
    const finished = await waitFor(async () => {
        const t = Date.now();
        for (const [name, page] of Object.entries(all)) samples[name].push({ t, frames: await frames(page) });
        const [pubFiles, bobFiles] = [await filesOf(pub), await filesOf(bob)];
        // Chat while the file is on its way: it must not wait for the file.
        if (!chatSent && bobFiles[0]?.received > 0) {
            chatSent = true;
            await pub.evaluate(() => window.onair.chat.send('chat during the file'));
        }
        if (chatSent && chatDuringTransfer === null && (await chatTexts(bob)).includes('chat during the file')) {
            chatDuringTransfer = (await filesOf(bob))[0];
        }
        return ['done', 'corrupt', 'cancelled'].includes(pubFiles[0]?.state) &&
            ['done', 'corrupt', 'cancelled'].includes(bobFiles[0]?.state);
    }, 180000, 1000);
    const seconds = (Date.now() - started) / 1000;
    note(`50 MiB relayed to two pages in ${seconds.toFixed(1)} s (${(FILE_BYTES * 8 / seconds / 1e6).toFixed(0)} Mb/s)`);
    check(finished, 'the transfer ends on both receiving pages');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    note('file metrics:', metrics.split('\n').filter((l) => /^onair_file/.test(l)).join(', '));

    for (const [name, page] of Object.entries({ Pub: pub, Bob: bob })) {
        const [entry] = await filesOf(page);
        check(entry?.name === 'big random.bin' && entry.size === FILE_BYTES && entry.from === 'viewer-1' &&
            entry.publisher === false,
            `${name}: the panel shows the offer with its name, size and sender`, entry && {
                name: entry.name, size: entry.size, from: entry.from, publisher: entry.publisher,
            });
        check(entry?.state === 'done' && entry.sha256ok && entry.receivedSha256 === big.sha256,
            `${name}: the received bytes have the original's SHA-256`, entry && { state: entry.state, reason: entry.reason, got: entry.receivedSha256, want: big.sha256 });
        const link = await page.evaluate(() => {
            const a = document.querySelector('#files .files-save');
            return a && { download: a.download, href: a.href.slice(0, 5) };
        });
        check(link?.download === 'big random.bin' && link.href === 'blob:', `${name}: a save link with the file's name`, link);
    }
    const [sent] = await filesOf(ann);
    check(sent?.state === 'sent' && sent.receivers === 2, 'Ann: her panel says the file was sent to 2 people', sent && { state: sent.state, receivers: sent.receivers, skipped: sent.skipped });
    check(chatDuringTransfer !== null && chatDuringTransfer.state === 'receiving',
        'Bob: a chat message sent mid-transfer arrives before the file has finished', chatDuringTransfer && { state: chatDuringTransfer.state, received: chatDuringTransfer.received });

    // Video all along: frames rose, and never stood still for more than 2 s.
    for (const [name, list] of Object.entries(samples)) {
        let longest = 0;
        let since = list[0];
        for (const s of list) {
            if (s.frames > since.frames) since = s;
            longest = Math.max(longest, s.t - since.t);
        }
        const rose = list.at(-1).frames - list[0].frames;
        check(rose > 10 * seconds && longest <= 2000,
            `${name}: video ${name === 'Pub' ? 'encoding' : 'decoding'} kept going during the transfer (frames rising, no stall over 2 s)`,
            { rose, seconds, longestStallMs: longest });
    }

    // Over the limit (100 MiB by default): refused before any byte moves, and said why.
    await bob.evaluate(() => window.onair.sendFile(new File([new Uint8Array(100 * 1024 * 1024 + 1)], 'too big.bin')));
    const refused = await waitFor(async () => {
        const entry = (await filesOf(bob)).find((f) => f.name === 'too big.bin');
        return entry?.state === 'cancelled' && entry;
    }, 20000);
    check(/at most 100 MiB/.test(refused?.reason), 'Bob: a file over 100 MiB is refused with the limit in the reason', refused);
    await sleep(500);
    for (const [name, page] of Object.entries({ Pub: pub, Ann: ann })) {
        const names = (await filesOf(page)).map((f) => f.name);
        check(!names.includes('too big.bin'), `${name}: never hears of the refused file`, names);
    }

    // What the publisher sends carries the server's broadcaster mark, shown beside the sender.
    await pub.evaluate(() => window.onair.sendFile(new File(['the running order'], 'notes.txt')));
    for (const [name, page] of Object.entries({ Ann: ann, Bob: bob })) {
        const got = await waitFor(async () => (await filesOf(page)).find((f) => f.name === 'notes.txt' && f.state === 'done'), 10000);
        const badge = await page.evaluate(() => [...document.querySelectorAll('#files .files-item')]
            .find((li) => li.querySelector('.files-name').textContent === 'notes.txt')
            ?.querySelector('.broadcaster-badge')?.textContent);
        check(got?.publisher === true && badge === 'broadcaster',
            `${name}: the publisher's file arrives marked as the broadcaster's`, { got, badge });
    }

    await ann.screenshot({ path: `${OUT}/${TEST}-sender.png`, fullPage: true });
    await bob.screenshot({ path: `${OUT}/${TEST}-receiver.png`, fullPage: true });
    for (const [name, page] of Object.entries(all)) check(page.problems.length === 0, `${name} page: no console errors`, page.problems);
    await pub.evaluate(() => window.onair.stop());
}

let server;
let browser;
const big = makeFile();
try {
    server = await startServer(TEST);
    note(`server ${server.url} pid ${server.pid}, log ${server.logPath}`);
    browser = await launchBrowser();
    await run(server, browser, big);
} catch (error) {
    fail('the test ran to its end', error);
} finally {
    await browser?.close();
    if (server) {
        const problems = await server.stop();
        check(problems.length === 0, 'the server ran and stopped cleanly', problems);
    }
    fs.rmSync(big.dir, { recursive: true, force: true });
}
done();
