// test_chat: the chat panel of /publish/NAME and /watch/NAME over the stream's room. A publisher
// (Pub) and two viewers (Ann, Bob) chat through the pages' forms: every page shows the three
// messages in one order with the right names; a viewer who comes late (Cy) sees the history;
// the viewer counts follow joins and leaves; the server's errors (too long, too fast) show in
// the panel; the publisher's messages carry the server's broadcaster mark, which a viewer who
// takes its name does not get, nor is its message marked as the publisher page's own; and the
// video keeps decoding on the viewer pages all along.
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, OUT } from './lib/server.mjs';
import { check, done, fail, note, sleep, waitFor } from './lib/tap.mjs';

const TEST = 'chat';
const NAME = `chat-${process.pid}`;

// What a page's chat panel shows, read from the DOM, and the page's own state beside it.
function chatView(page) {
    return page.evaluate(() => {
        const panel = document.getElementById('chat');
        const error = panel.querySelector('.chat-error');
        return {
            open: window.onair.chat.open,
            you: window.onair.chat.you,
            viewers: window.onair.chat.viewers,
            viewersText: panel.querySelector('.chat-viewers').textContent,
            messages: [...panel.querySelectorAll('.chat-msg')].map((li) => ({
                from: li.querySelector('.chat-from').textContent,
                text: li.querySelector('.chat-text').textContent,
                time: li.querySelector('.chat-time').textContent,
                own: li.classList.contains('own'),
                broadcaster: li.querySelector('.broadcaster-badge')?.textContent === 'broadcaster',
            })),
            history: window.onair.chat.messages.filter((m) => m.history).length,
            ids: window.onair.chat.messages.map((m) => m.id),
            error: error.hidden ? '' : error.textContent,
            errors: window.onair.chat.errors,
            events: [...panel.querySelectorAll('.chat-event')].map((li) => li.textContent),
        };
    });
}

const framesDecoded = (page) => page.evaluate(() => window.onair.stats.framesDecoded || 0);

// Types NAME into the panel's name field and leaves it, as a person would.
async function setName(page, name) {
    await page.fill('#chat .chat-name', name);
    await page.press('#chat .chat-name', 'Tab');
}

// Types TEXT into the message field and presses Enter.
async function say(page, text) {
    await page.fill('#chat .chat-input', text);
    await page.press('#chat .chat-input', 'Enter');
}

// Waits until PAGE's chat satisfies TEST; returns the last view for the check to show.
async function waitForChat(page, test, timeoutMs = 10000) {
    let view;
    await waitFor(async () => {
        view = await chatView(page);
        return test(view);
    }, timeoutMs);
    return view;
}

const sameOrder = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const lines = (view) => view.messages.map((m) => `${m.from}: ${m.text}`);

async function run(server, browser) {
    const pages = {};
    const open = async (label, path) => {
        const page = await openPage(browser, TEST, label);
        pages[label] = page;
        await page.goto(`${server.url}${path}`);
        return page;
    };

    const pub = await open('Pub', `/publish/${NAME}`);
    await setName(pub, 'Pub');
    await pub.evaluate(() => window.onair.start());
    const live = await waitFor(() => pub.evaluate(() => window.onair.state === 'live'), 10000);
    check(live, 'the publish page goes live with a chat channel in its offer',
        await pub.evaluate(() => ({ state: window.onair.state, error: document.getElementById('error').textContent })));
    const viewers = { Ann: await open('Ann', `/watch/${NAME}`), Bob: await open('Bob', `/watch/${NAME}`) };
    for (const [name, page] of Object.entries(viewers)) await setName(page, name);
    const all = { Pub: pub, ...viewers };

    for (const [name, page] of Object.entries(all)) {
        const view = await waitForChat(page, (v) => v.open && v.you === name);
        check(view.open && view.you === name, `${name}: the chat channel opens and the page takes its name`, view);
    }
    for (const [name, page] of Object.entries(viewers)) {
        const frames = await waitFor(async () => (await framesDecoded(page)) > 30 && framesDecoded(page), 15000);
        check(frames > 30, `${name}: the video plays beside the chat (framesDecoded > 30)`, frames);
    }
    for (const [name, page] of Object.entries(all)) {
        const view = await waitForChat(page, (v) => v.viewers === 2);
        check(view.viewers === 2 && view.viewersText === '2 watching', `${name}: the panel counts 2 viewers`, view);
    }
    check((await pub.evaluate(() => localStorage.getItem('onair.chatName'))) === 'Pub',
        'the name is remembered in localStorage');

    // All three at once, so the server has to pick one order for everybody.
    const framesBefore = {};
    for (const [name, page] of Object.entries(viewers)) framesBefore[name] = await framesDecoded(page);
    const said = { Pub: 'Welcome to the stream', Ann: 'Hello from Ann <b>not bold</b>', Bob: 'Hi, Bob here' };
    await Promise.all(Object.entries(said).map(([name, text]) => say(all[name], text)));
    const views = {};
    for (const [name, page] of Object.entries(all)) {
        views[name] = await waitForChat(page, (v) => v.messages.length >= 3);
        const got = views[name].messages;
        const everyone = Object.entries(said).every(([from, text]) =>
            got.filter((m) => m.from === from && m.text === text).length === 1);
        check(got.length === 3 && everyone, `${name}: shows the three messages once each, with their senders' names`, got);
        const own = got.filter((m) => m.own);
        check(own.length === 1 && own[0].from === name, `${name}: marks its own message, and only that one`, got);
        const marked = got.filter((m) => m.broadcaster);
        check(marked.length === 1 && marked[0].from === 'Pub',
            `${name}: marks the publisher's message as the broadcaster's, and only that one`, got);
        check(got.every((m) => /^\d\d:\d\d/.test(m.time)), `${name}: shows a time on every message`, got);
    }
    const order = lines(views.Pub);
    check(Object.values(views).every((v) => sameOrder(lines(v), order)),
        'all three pages show the messages in the same order', Object.fromEntries(Object.entries(views).map(([n, v]) => [n, lines(v)])));
    check(Object.values(views).every((v) => sameOrder(v.ids, views.Pub.ids) && v.ids.every((id, i) => i === 0 || id > v.ids[i - 1])),
        'the server numbered them, rising in the order shown', Object.fromEntries(Object.entries(views).map(([n, v]) => [n, v.ids])));
    note('order:', order);

    // A late viewer gets the history, and everyone's count goes to 3.
    const cy = await open('Cy', `/watch/${NAME}`);
    await setName(cy, 'Cy');
    let view = await waitForChat(cy, (v) => v.open && v.messages.length >= 3);
    check(sameOrder(lines(view), order) && view.history === 3,
        'Cy, joining late, sees the three earlier messages as history in the same order', view);
    for (const [name, page] of Object.entries({ ...all, Cy: cy })) {
        view = await waitForChat(page, (v) => v.viewers === 3);
        check(view.viewers === 3, `${name}: the count goes to 3 when Cy joins`, view);
    }
    // Cy is introduced under the name she gave: "Cy joined" when her name came with her arrival,
    // or "viewer-N joined" and then "viewer-N is now Cy" when she typed it after.
    const introduced = (events) => events.includes('Cy joined') ||
        events.some((e) => /^viewer-\d+ is now Cy$/.test(e) && events.includes(`${e.split(' ')[0]} joined`));
    for (const [name, page] of Object.entries(all)) {
        view = await waitForChat(page, (v) => introduced(v.events));
        check(introduced(view.events) && view.events.filter((e) => / is now Cy$|^Cy joined$/.test(e)).length === 1,
            `${name}: the panel introduces Cy once, by the name she gave`, view.events);
    }
    await say(cy, 'Cy says hi');
    for (const [name, page] of Object.entries(all)) {
        view = await waitForChat(page, (v) => v.messages.length >= 4);
        const last = view.messages[3];
        check(view.messages.length === 4 && last?.from === 'Cy' && last.text === 'Cy says hi',
            `${name}: receives the late viewer's message after the others`, view.messages);
    }
    await cy.goto('about:blank'); // leaving the page ends its session, as a closed tab does
    for (const [name, page] of Object.entries(all)) {
        view = await waitForChat(page, (v) => v.viewers === 2);
        const api = await (await fetch(`${server.url}/api/streams/${NAME}`)).json();
        check(view.viewers === 2, `${name}: the count goes back to 2 when Cy leaves`,
            { viewers: view.viewers, events: view.events, apiViewers: api.viewers });
        view = await waitForChat(page, (v) => v.events.includes('Cy left'));
        check(view.events.at(-1) === 'Cy left', `${name}: the panel says "Cy left"`, view.events);
    }

    // Over the size limit: the server refuses it, the sender sees why, the others see nothing.
    await say(viewers.Ann, 'x'.repeat(1001));
    view = await waitForChat(viewers.Ann, (v) => v.error);
    check(/1000/.test(view.error) && view.errors.length === 1,
        'Ann: a message of 1001 characters shows the server\'s error in the panel', view);
    await say(viewers.Ann, 'y'.repeat(1000));
    for (const [name, page] of Object.entries(all)) {
        view = await waitForChat(page, (v) => v.messages.length >= 5);
        check(view.messages.length === 5 && view.messages[4].text.length === 1000 && !view.messages.some((m) => m.text.length > 1000),
            `${name}: gets the 1000-character message and never the 1001-character one`, lines(view).map((l) => l.slice(0, 40)));
    }
    view = await chatView(viewers.Ann);
    check(view.error === '', 'Ann: the error clears on the next send', view.error);

    // Too fast: Bob floods, is told so, and the others still get through.
    for (let i = 0; i < 10; i++) await bobSend(viewers.Bob, `flood ${i}`);
    view = await waitForChat(viewers.Bob, (v) => /5/.test(v.error));
    check(view.errors.some((e) => /5/.test(e)), 'Bob: sending 10 messages at once shows the rate limit error', view.errors);
    await say(pub, 'still here');
    for (const [name, page] of Object.entries(all)) {
        view = await waitForChat(page, (v) => v.messages.some((m) => m.text === 'still here'));
        const floods = view.messages.filter((m) => m.text.startsWith('flood')).length;
        check(view.messages.some((m) => m.from === 'Pub' && m.text === 'still here') && floods >= 5 && floods < 10,
            `${name}: the flood is cut short and the publisher's next message arrives`, { floods, last: lines(view).slice(-3) });
    }

    // Unread count: Ann scrolls up, a message comes, the panel counts it; scrolling down clears it.
    await viewers.Ann.evaluate(() => (document.querySelector('#chat .chat-log').scrollTop = 0));
    await say(pub, 'are you scrolled up?');
    const unread = await waitFor(() => viewers.Ann.evaluate(() => {
        const button = document.querySelector('#chat .chat-unread');
        return !button.hidden && button.textContent;
    }), 5000);
    check(unread === '1 new ↓', 'Ann: scrolled up, the panel counts 1 unread message', unread);
    await viewers.Ann.click('#chat .chat-unread');
    const cleared = await viewers.Ann.evaluate(() => {
        const log = document.querySelector('#chat .chat-log');
        return document.querySelector('#chat .chat-unread').hidden && log.scrollHeight - log.scrollTop - log.clientHeight < 30;
    });
    check(cleared, 'Ann: clicking the count scrolls to the newest message and clears it');

    // The publisher stops and goes live again: its chat reopens on the new connection, and the
    // history the server replays adds no copies of what the page shows already.
    const shown = (await chatView(pub)).messages.length;
    await pub.evaluate(() => window.onair.stop());
    view = await chatView(pub);
    check(!view.open, 'Pub: stopping closes the chat', view.open);
    await pub.evaluate(() => window.onair.start());
    view = await waitForChat(pub, (v) => v.open);
    await say(pub, 'back again');
    view = await waitForChat(pub, (v) => v.messages.some((m) => m.text === 'back again'));
    check(view.messages.length === shown + 1 && view.messages.at(-1).own,
        'Pub: after going live again, the chat works with no duplicated history', { shown, now: lines(view).slice(-3), count: view.messages.length });
    for (const [name, page] of Object.entries(viewers)) {
        view = await waitForChat(page, (v) => v.messages.some((m) => m.text === 'back again'));
        check(view.messages.at(-1)?.from === 'Pub', `${name}: receives the returning publisher's message`, lines(view).slice(-2));
    }

    // Names are anyone's: Bob calls himself Pub, and the broadcaster mark still tells them apart.
    await setName(viewers.Bob, 'Pub');
    await say(viewers.Bob, 'I am the broadcaster');
    view = await waitForChat(viewers.Ann, (v) => v.messages.some((m) => m.text === 'I am the broadcaster'));
    const impostor = view.messages.find((m) => m.text === 'I am the broadcaster');
    const real = view.messages.find((m) => m.text === 'back again');
    check(impostor?.from === 'Pub' && !impostor.broadcaster && real?.broadcaster === true,
        "Ann: a viewer named Pub gets no broadcaster mark; the publisher's messages keep it", { impostor, real });
    // A namesake's rename is news to the page whose name it took; one's own is not.
    view = await waitForChat(pub, (v) => v.events.some((e) => / is now Pub$/.test(e)));
    check(view.events.some((e) => / is now Pub$/.test(e)),
        'Pub: is told that a viewer took its name ("... is now Pub")', view.events.slice(-3));
    view = await chatView(viewers.Bob);
    check(!view.events.some((e) => / is now Pub$/.test(e)),
        'Bob: is not told of his own rename', view.events.slice(-3));
    // Nor is a namesake's message taken for one's own: each page marks only what it sent.
    for (const [name, page, own] of [['Pub', pub, false], ['Bob', viewers.Bob, true]]) {
        view = await waitForChat(page, (v) => v.messages.some((m) => m.text === 'I am the broadcaster'));
        const line = view.messages.find((m) => m.text === 'I am the broadcaster');
        check(line?.from === 'Pub' && line.own === own, own
            ? `${name}: marks its message as its own under its new name`
            : `${name}: does not mark the message of a viewer who took its name as its own`, line);
    }

    for (const [name, page] of Object.entries(viewers)) {
        const now = await framesDecoded(page);
        check(now > framesBefore[name] + 10, `${name}: video kept decoding during the chat (framesDecoded rising by more than 10)`,
            { before: framesBefore[name], now });
    }
    await viewers.Ann.screenshot({ path: `${OUT}/${TEST}-watch.png`, fullPage: true });
    await pub.screenshot({ path: `${OUT}/${TEST}-publish.png`, fullPage: true });
    for (const [name, page] of Object.entries(all)) {
        check(page.problems.length === 0, `${name} page: no console errors`, page.problems);
    }
    await pub.evaluate(() => window.onair.stop());
}

// Sends through the page's own function, as fast as the page can, which typing cannot match.
async function bobSend(page, text) {
    await page.evaluate((t) => window.onair.chat.send(t), text);
}

let server;
let browser;
try {
    server = await startServer(TEST);
    note(`server ${server.url} pid ${server.pid}, log ${server.logPath}`);
    browser = await launchBrowser();
    await run(server, browser);
} catch (error) {
    fail('the test ran to its end', error);
} finally {
    await browser?.close().catch(() => {});
    if (server) {
        const problems = await server.stop();
        check(problems.length === 0, 'the server ran and stopped cleanly', problems);
    }
    done();
}
