// Chat switched off and on: `onair serve --no-chat` keeps every stream's room for presence but
// refuses chat messages, the pages say chat is off and grey out the input; PUT
// /api/streams/NAME/chat turns it on (or off again) for one stream, and the pages follow. Files
// are off and on with chat.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, ROOT, OUT } from './lib/server.mjs';
import { check, done, fail, waitFor } from './lib/tap.mjs';

const media = path.join(OUT, 'chat-off-media');
fs.mkdirSync(media, { recursive: true });
execFileSync(path.join(ROOT, 'scripts/make-demo-media'), [media], { stdio: 'ignore' });
const server = await startServer('chat_off', { args: ['--no-chat', '--source', `cam=${path.join(media, 'demo.webm')}`] });
const browser = await launchBrowser();

const panel = (page) => page.evaluate(() => ({
    chat: window.onair.chat.chat,
    open: window.onair.chat.open,
    viewers: window.onair.chat.viewers,
    inputDisabled: document.querySelector('#chat .chat-input').disabled,
    placeholder: document.querySelector('#chat .chat-input').placeholder,
    messages: window.onair.chat.messages.map((m) => `${m.from}: ${m.text}`),
    errors: window.onair.chat.errors,
    events: [...document.querySelectorAll('#chat .chat-event')].map((li) => li.textContent),
}));

async function putChat(enabled) {
    const r = await fetch(`${server.url}/api/streams/cam/chat`, {
        method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ enabled }) });
    return { status: r.status, body: await r.json() };
}

try {
    const ann = await openPage(browser, 'chat_off', 'ann');
    const bob = await openPage(browser, 'chat_off', 'bob');
    await ann.goto(`${server.url}/watch/cam`);
    await bob.goto(`${server.url}/watch/cam`);
    const off = await waitFor(async () => {
        const [a, b] = [await panel(ann), await panel(bob)];
        return a.open && b.open && a.viewers === 2 && b.viewers === 2 && [a, b];
    }, 20000);
    check(off && off.every((p) => p.chat === false && p.inputDisabled && /off/.test(p.placeholder)),
          'with --no-chat both watch pages say chat is off and grey out the input (presence still counts 2)',
          off || [await panel(ann), await panel(bob)]);
    const state = await (await fetch(`${server.url}/api/streams/cam/chat`)).json();
    check(state.chat === false, 'GET /api/streams/cam/chat says off', state);
    // A message sent anyway (from the console) is refused with the reason.
    await ann.evaluate(() => window.onair.chat.send('anyone?'));
    const refused = await waitFor(async () => {
        const a = await panel(ann);
        return a.errors.includes('chat is off for this stream') && a;
    }, 5000);
    check(refused && (await panel(bob)).messages.length === 0, 'a chat message is refused with "chat is off for this stream" and reaches nobody',
          refused || await panel(ann));

    // Files follow the same switch: an offer is refused with the reason, and nobody hears of it.
    await ann.evaluate(() => window.onair.sendFile(new File(['hello'], 'note.txt')));
    const fileRefused = await waitFor(async () => {
        const f = await ann.evaluate(() => window.onair.files.files.find((x) => x.name === 'note.txt'));
        return f?.state === 'cancelled' && f;
    }, 5000);
    const bobFiles = await bob.evaluate(() => window.onair.files.files.length);
    check(fileRefused?.reason === 'files are off for this stream' && bobFiles === 0,
          'a file offer is refused with "files are off for this stream" and reaches nobody', { fileRefused, bobFiles });

    const on = await putChat(true);
    check(on.status === 200 && on.body.chat === true, 'PUT {"enabled": true} turns chat on for cam', on);
    const enabled = await waitFor(async () => {
        const [a, b] = [await panel(ann), await panel(bob)];
        return a.chat && b.chat && !a.inputDisabled && !b.inputDisabled && [a, b];
    }, 5000);
    check(enabled, 'both pages follow: chat on, input enabled', enabled || await panel(ann));
    await ann.fill('#chat .chat-input', 'hello bob');
    await ann.press('#chat .chat-input', 'Enter');
    const got = await waitFor(async () => {
        const b = await panel(bob);
        return b.messages.some((m) => m.endsWith(': hello bob')) && b;
    }, 5000);
    check(got, 'a message now goes from one page to the other', got || await panel(bob));

    const offAgain = await putChat(false);
    const disabled = await waitFor(async () => {
        const b = await panel(bob);
        return !b.chat && b.inputDisabled && b.events.includes('Chat is off for this stream') && b;
    }, 5000);
    check(offAgain.status === 200 && disabled, 'PUT {"enabled": false} turns it off again, and the pages say so', disabled || offAgain);

    const bad = await fetch(`${server.url}/api/streams/cam/chat`, { method: 'PUT', body: 'yes please' });
    const badBody = await bad.json();
    check(bad.status === 400 && /enabled/.test(badBody.error), 'a PUT without {"enabled": bool} answers 400 with the reason', badBody);
    for (const [label, page] of [['ann', ann], ['bob', bob]]) {
        const problems = page.problems.filter((p) => !/Failed to load resource/.test(p));
        check(problems.length === 0, `${label}: no console errors`, problems);
    }
} catch (error) {
    fail('chat off and on', error);
} finally {
    await browser.close();
    const problems = await server.stop();
    check(problems.length === 0, 'the server ran and stopped cleanly', problems.join('; '));
}
done();
