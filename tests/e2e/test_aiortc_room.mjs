// test_aiortc_room: aiortc (python3-aiortc, the article's library) as a participant in a stream's
// room next to a Chromium watch page. The aiortc peer (tests/e2e/lib/room_participant.py) and the
// page chat both ways, each sends the other a file that arrives with the original's SHA-256, and
// a second aiortc peer does the same over the seed's /offer; the aiortc peer then sends what a broken or hostile client might: a bad offer, a channel with
// a label the server does not know, more bytes than it offered, junk on the file channel. Each
// gets its answer, and the room goes on working for both. Last, the aiortc peer stalls (its whole
// process stops for 14 s) while Ann sends a file to it and to a second page (Bob): Bob gets the
// file, late but whole; the stalled peer is dropped from it with a reason, Ann is told; and the
// server never queued more than a few MiB for the stalled receiver (its /metrics).
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, ROOT, OUT } from './lib/server.mjs';
import { check, done, fail, note, waitFor } from './lib/tap.mjs';

const TEST = 'aiortc_room';
const STREAM = 'cam';

function randomFile(dir, name, bytes) {
    const data = crypto.randomBytes(bytes);
    const file = path.join(dir, name);
    fs.writeFileSync(file, data);
    return { file, sha256: crypto.createHash('sha256').update(data).digest('hex'), size: bytes };
}

// The aiortc peer: commands in, events out; every event is kept for the checks.
function startParticipant(base, name, signaling = 'whep') {
    const child = spawn('/usr/bin/python3', [path.join(ROOT, 'tests/e2e/lib/room_participant.py'), base, STREAM, name, signaling],
        { stdio: ['pipe', 'pipe', 'pipe'] });
    const events = [];
    const log = fs.createWriteStream(path.join(OUT, `${TEST}-aiortc-${name}.log`));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
        log.write(`${line}\n`);
        try {
            events.push(JSON.parse(line));
        } catch {
            // not ours
        }
    });
    child.stderr.pipe(log);
    let exit = null;
    child.on('exit', (code, signal) => { exit = { code, signal }; });
    return {
        events,
        send: (cmd) => child.stdin.write(`${JSON.stringify(cmd)}\n`),
        find: (test) => events.find(test),
        wait: (test, ms = 20000) => waitFor(() => events.find(test), ms, 100),
        exited: () => exit,
        async stop() {
            if (exit) return exit;
            child.stdin.write('{"cmd":"quit"}\n');
            const stopped = await waitFor(() => exit, 10000);
            if (!stopped) child.kill('SIGKILL');
            return exit;
        },
    };
}

const pageState = (page) => page.evaluate(() => JSON.parse(JSON.stringify({
    chat: window.onair.chat.messages,
    events: [...document.querySelectorAll('#chat .chat-event')].map((li) => li.textContent),
    files: window.onair.files.files,
})));

async function run(server, browser, dir) {
    const ann = await openPage(browser, TEST, 'Ann');
    await ann.goto(`${server.url}/watch/${STREAM}`);
    await ann.fill('#chat .chat-name', 'Ann');
    await ann.press('#chat .chat-name', 'Tab');
    check(await waitFor(() => ann.evaluate(() => window.onair.chat.open && window.onair.files.open), 15000),
        'Ann: the page opens its chat and file channels');

    const rob = startParticipant(server.url, 'Rob');
    const opened = await rob.wait((e) => e.event === 'open', 30000);
    check(!!opened, 'Rob (aiortc): connects over WHEP and opens its chat and file channels', rob.exited());
    if (!opened) return rob;
    const welcome = await rob.wait((e) => e.event === 'chat' && e.type === 'welcome');
    check(welcome?.viewers === 2, 'Rob: the welcome counts 2 viewers', welcome);
    const joined = await waitFor(async () => (await pageState(ann)).events.includes('Rob joined'), 10000);
    check(joined, 'Ann: the page says "Rob joined", under the name Rob gave');

    // Chat both ways.
    rob.send({ cmd: 'chat', text: 'hello from aiortc' });
    const robLine = await waitFor(async () => (await pageState(ann)).chat.find((m) => m.text === 'hello from aiortc'), 10000);
    check(robLine?.from === 'Rob', "Ann: sees Rob's message with his name", robLine);
    await ann.fill('#chat .chat-input', 'hello from chromium');
    await ann.press('#chat .chat-input', 'Enter');
    const annLine = await rob.wait((e) => e.event === 'chat' && e.type === 'chat' && e.text === 'hello from chromium');
    check(annLine?.from === 'Ann' && Number.isInteger(annLine.id), "Rob: gets Ann's message, stamped with her name and an id", annLine);

    // A new name after the join was announced: everyone is told who it is now.
    rob.send({ cmd: 'hello', name: 'Robert' });
    const renamed = await waitFor(async () => (await pageState(ann)).events.includes('Rob is now Robert'), 10000);
    check(renamed, 'Ann: the page says "Rob is now Robert" when he renames himself', (await pageState(ann)).events);
    rob.send({ cmd: 'chat', text: 'as Robert' });
    const asRobert = await waitFor(async () => (await pageState(ann)).chat.find((m) => m.text === 'as Robert'), 10000);
    check(asRobert?.from === 'Robert', 'and his messages carry the new name', asRobert);
    rob.send({ cmd: 'hello', name: 'Rob' });

    // The seed's /offer carries data channels too.
    const sue = startParticipant(server.url, 'Sue', 'offer');
    check(!!(await sue.wait((e) => e.event === 'open', 30000)), "Sue (aiortc): connects through the seed's /offer and opens her channels", sue.exited());
    sue.send({ cmd: 'chat', text: 'hello via /offer' });
    const sueLine = await waitFor(async () => (await pageState(ann)).chat.find((m) => m.text === 'hello via /offer'), 10000);
    check(sueLine?.from === 'Sue', "Ann: sees Sue's message with her name", sueLine);
    const sueExit = await sue.stop();
    check(sueExit?.code === 0, 'Sue: leaves cleanly', sueExit);

    // A file from aiortc to the page.
    const fromRob = randomFile(dir, 'from-rob.bin', 3 * 1024 * 1024 + 17);
    rob.send({ cmd: 'send-file', path: fromRob.file });
    const atAnn = await waitFor(async () => {
        const f = (await pageState(ann)).files.find((x) => x.name === 'from-rob.bin');
        return f && ['done', 'corrupt', 'cancelled'].includes(f.state) && f;
    }, 60000);
    check(atAnn?.state === 'done' && atAnn.receivedSha256 === fromRob.sha256 && atAnn.from === 'Rob',
        "Ann: receives Rob's 3 MiB file with the original's SHA-256", atAnn && { state: atAnn.state, reason: atAnn.reason, from: atAnn.from });
    const robSent = await rob.wait((e) => e.event === 'file' && e.type === 'file-sent');
    check(robSent?.receivers === 1, 'Rob: the server says the file went to 1 receiver', robSent);

    // A file from the page to aiortc, picked in the panel.
    const fromAnn = randomFile(dir, 'from-ann.bin', 2 * 1024 * 1024 + 5);
    await ann.setInputFiles('#files .files-input', fromAnn.file);
    const atRob = await rob.wait((e) => e.event === 'file-received' && e.name === 'from-ann.bin', 60000);
    check(atRob?.sha256 === fromAnn.sha256 && atRob.size === fromAnn.size, "Rob: receives Ann's 2 MiB file with the original's SHA-256", atRob);
    const offer = rob.find((e) => e.event === 'file' && e.type === 'file-offer' && e.name === 'from-ann.bin');
    check(offer?.from === 'Ann' && offer.sha256 === fromAnn.sha256, 'Rob: the offer named Ann and carried the SHA-256', offer);

    // Bad input, each with its answer.
    rob.send({ cmd: 'raw-file', text: JSON.stringify({ type: 'file-offer', id: 'bad-sha', name: 'x', size: 10, sha256: 'not a hash' }) });
    let answer = await rob.wait((e) => e.event === 'file' && e.type === 'file-cancel' && e.id === 'bad-sha');
    check(/sha256/.test(answer?.reason), 'an offer with a malformed SHA-256 is refused with a reason', answer);
    rob.send({ cmd: 'raw-file', text: JSON.stringify({ type: 'file-offer', id: 'x/../y', name: 'x', size: 10, sha256: 'a'.repeat(64) }) });
    answer = await rob.wait((e) => e.event === 'file' && e.type === 'error' && /file id/.test(e.reason));
    check(!!answer, 'an offer with an id of forbidden characters is refused with a reason', answer);
    rob.send({ cmd: 'raw-file', text: 'this is not JSON' });
    answer = await rob.wait((e) => e.event === 'file' && e.type === 'error' && /unknown file message/.test(e.reason));
    check(!!answer, 'junk on the file channel gets an error naming the messages it takes', answer);
    rob.send({ cmd: 'raw-file', text: JSON.stringify({ type: 'file-offer', id: 'short', name: 'short.bin', size: 100, sha256: 'b'.repeat(64) }) });
    rob.send({ cmd: 'raw-chunk', id: 'short', bytes: 101 });
    answer = await rob.wait((e) => e.event === 'file' && e.type === 'file-cancel' && e.id === 'short');
    check(/more bytes/.test(answer?.reason), 'more bytes than offered cancels the file, and the sender is told', answer);
    const shortAtAnn = await waitFor(async () => {
        const f = (await pageState(ann)).files.find((x) => x.name === 'short.bin');
        return f?.state === 'cancelled' && f;
    }, 10000);
    check(!!shortAtAnn && /more than it offered/.test(shortAtAnn.reason), "Ann: the cancelled file shows the reason instead of a save link", shortAtAnn);
    rob.send({ cmd: 'open-channel', label: 'telemetry' });
    const other = await rob.wait((e) => e.event === 'channel-open' && e.label === 'telemetry');
    check(!!other, 'a channel with another label is accepted (its messages are ignored)', rob.events.slice(-3));
    const annState = await pageState(ann);
    check(!annState.files.some((f) => ['x', 'bad-sha'].includes(f.name) || f.id === 'bad-sha'),
        'Ann: never hears of the refused offers', annState.files.map((f) => f.name));

    // And the room still works for both.
    rob.send({ cmd: 'chat', text: 'still here' });
    const still = await waitFor(async () => (await pageState(ann)).chat.find((m) => m.text === 'still here'), 10000);
    check(still?.from === 'Rob', "Ann: Rob's chat still arrives after all that", still);
    await slowReceiver(server, browser, ann, rob, dir);
    check(ann.problems.length === 0, 'Ann page: no console errors', ann.problems);
    await ann.screenshot({ path: `${OUT}/${TEST}-ann.png`, fullPage: true });
    return rob;
}

async function metrics(server) {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const value = (name) => Number((text.match(new RegExp(`^${name} (\\S+)$`, 'm')) || [])[1]);
    return { pauses: value('onair_file_sender_pauses_total'), dropped: value('onair_file_receivers_dropped_total'),
        peak: value('onair_file_queue_peak_bytes'), completed: value('onair_files_completed_total') };
}

async function slowReceiver(server, browser, ann, rob, dir) {
    const bob = await openPage(browser, TEST, 'Bob');
    await bob.goto(`${server.url}/watch/${STREAM}`);
    check(await waitFor(() => bob.evaluate(() => window.onair.files.open), 15000), 'Bob: the page opens its file channel');
    rob.send({ cmd: 'freeze', seconds: 14 });
    check(!!(await rob.wait((e) => e.event === 'frozen')), 'Rob: stalls');
    const big = randomFile(dir, 'to-all.bin', 24 * 1024 * 1024);
    const started = Date.now();
    await ann.setInputFiles('#files .files-input', big.file);
    const atBob = await waitFor(async () => {
        const f = (await pageState(bob)).files.find((x) => x.name === 'to-all.bin');
        return f && ['done', 'corrupt', 'cancelled'].includes(f.state) && f;
    }, 120000, 500);
    note(`24 MiB reached Bob in ${((Date.now() - started) / 1000).toFixed(1)} s with Rob stalled`);
    check(atBob?.state === 'done' && atBob.receivedSha256 === big.sha256,
        'Bob: receives the whole file, with its SHA-256, although Rob stalled', atBob && { state: atBob.state, reason: atBob.reason });
    const robCancel = await rob.wait((e) => e.event === 'file' && e.type === 'file-cancel' && /too slow/.test(e.reason || ''), 30000);
    check(!!robCancel, 'Rob: once running again, is told the file was cancelled for him as too slow', rob.events.slice(-4));
    const sent = await waitFor(async () => {
        const f = (await pageState(ann)).files.find((x) => x.name === 'to-all.bin');
        return f?.state === 'sent' && f;
    }, 10000);
    check(sent?.receivers === 1 && sent.skipped.some((x) => x.name === 'Rob' && /too slow/.test(x.reason)),
        "Ann: her panel says the file reached 1 person and that Rob was dropped as too slow", sent && { receivers: sent.receivers, skipped: sent.skipped });
    const m = await metrics(server);
    note('file metrics:', m);
    check(m.pauses >= 1 && m.dropped >= 1, 'the server held Ann back for Rob, then dropped him (metrics count both)', m);
    check(m.peak > 0 && m.peak < 4 * 1024 * 1024, 'the server never queued more than 4 MiB for one receiver (24 MiB file, receiver stalled 14 s)', m);
    check(bob.problems.length === 0, 'Bob page: no console errors', bob.problems);
}

const media = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-aiortc-room-'));
let server;
let browser;
let rob;
try {
    execFileSync(path.join(ROOT, 'scripts/make-demo-media'), [media], { stdio: 'ignore' });
    server = await startServer(TEST, { args: ['--source', `${STREAM}=${path.join(media, 'demo.webm')}`] });
    note(`server ${server.url} pid ${server.pid}, log ${server.logPath}`);
    browser = await launchBrowser();
    rob = await run(server, browser, media);
} catch (error) {
    fail('the test ran to its end', error);
} finally {
    const exit = await rob?.stop();
    if (rob) check(exit && exit.code === 0, 'the aiortc peer exited cleanly', exit);
    await browser?.close();
    if (server) {
        const problems = await server.stop();
        check(problems.length === 0, 'the server ran and stopped cleanly', problems);
    }
    fs.rmSync(media, { recursive: true, force: true });
}
done();
