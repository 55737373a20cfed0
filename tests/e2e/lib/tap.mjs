// tap.mjs: TAP output for the end-to-end tests: "ok - WHAT" or "not ok - WHAT" per check, a
// plan at the end, and a non-zero exit status when any check failed.

let count = 0;
let failed = 0;

// Prints a diagnostic line; TAP readers show it and count nothing.
export function note(...parts) {
    let text = parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
    if (text.length > 3000) text = `${text.slice(0, 3000)} …(${text.length - 3000} more characters)`;
    for (const line of text.split('\n')) console.log(`# ${line}`);
}

// Records one check. DETAIL (any value) is printed under a failure to say what was seen.
export function check(passed, what, detail) {
    count++;
    if (passed) {
        console.log(`ok - ${what}`);
    } else {
        failed++;
        console.log(`not ok - ${what}`);
        if (detail !== undefined) note('  seen:', detail);
    }
    return passed;
}

// Records a failure for an exception that ended a test early.
export function fail(what, error) {
    return check(false, what, error?.stack || String(error));
}

export function failures() {
    return failed;
}

// Prints the plan and sets the exit status; call once, at the end.
export function done() {
    if (count === 0) check(false, 'the test ran at least one check');
    console.log(`1..${count}`);
    process.exitCode = failed > 0 ? 1 : 0;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls PROBE (sync or async) until it returns a truthy value or TIMEOUT_MS passes; returns
// the last value, so the caller can both assert and show what it saw.
export async function waitFor(probe, timeoutMs, intervalMs = 250) {
    const deadline = Date.now() + timeoutMs;
    let value;
    for (;;) {
        try {
            value = await probe();
        } catch (error) {
            value = undefined;
        }
        if (value || Date.now() >= deadline) return value;
        await sleep(intervalMs);
    }
}
