// bench/watch-join.mjs: one viewer's join of the watch page, timed as the benchmarks report it
// (page asked → first frame shown). canary.mjs and join-ab.mjs both use it, so that their
// figures are the same measurement.

// Runs in the page before its scripts: notes, on the page's clock, when the first video frame
// was shown (requestVideoFrameCallback's presentation time), so that the join time is not
// stretched by how often the caller looks.
function noteFirstFrame() {
    addEventListener('DOMContentLoaded', () => {
        document.getElementById('video')?.requestVideoFrameCallback((now, frame) => {
            window.firstFrameShownAt = performance.timeOrigin + frame.presentationTime;
        });
    });
}

// Opens BASE/watch/STREAM in a fresh context of BROWSER; resolves to the context (for the caller
// to close), the page, and the join time in ms (null when no frame was shown within 20 s).
export async function joinWatchPage(browser, base, stream) {
    const context = await browser.newContext();
    try {
        await context.addInitScript(noteFirstFrame);
        const page = await context.newPage();
        const asked = Date.now();
        await page.goto(`${base}/watch/${encodeURIComponent(stream)}`);
        const shown = await page
            .waitForFunction(() => window.firstFrameShownAt, null, { timeout: 20000 })
            .then((handle) => handle.jsonValue())
            .catch(() => null);
        return { context, page, joinMs: shown ? Math.round(shown - asked) : null };
    } catch (error) {
        await context.close();
        throw error;
    }
}
