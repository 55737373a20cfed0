// server.mjs: runs `onair serve` for one test on free ports, waits until it answers, and stops
// it by PID. The server's output goes to tests/out/<test>-server.log; a server that exits on its
// own, exits non-zero or prints a sanitizer report fails the test.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const OUT = path.join(ROOT, 'tests/out');
// The onair binary under test: $ONAIR (build-san/onair for the sanitizer pass), else build/onair.
export const ONAIR_BINARY = path.resolve(ROOT, process.env.ONAIR || 'build/onair');

const STARTUP_MS = 15000;
const STOP_MS = 5000;
// A sanitizer's report, by its first line (or UBSan's "runtime error:"). ThreadSanitizer opens
// its reports with WARNING, not ERROR ("WARNING: ThreadSanitizer: data race (pid=...)"), and
// stops with FATAL when it cannot run at all. Every report ends with a SUMMARY line, which says
// where (for TSan, the file and line of the first access): that one is quoted when there is one.
const SANITIZER = /ERROR: (AddressSanitizer|LeakSanitizer|MemorySanitizer)|(ERROR|WARNING|FATAL): ThreadSanitizer|runtime error:|SUMMARY: \w+Sanitizer/;

// Every server still running, so an exiting test process never leaves one behind.
const running = new Set();
process.on('exit', () => {
    for (const child of running) {
        try {
            process.kill(child.pid, 'SIGKILL');
        } catch {
            // Already gone.
        }
    }
});
for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => process.exit(130));
}

// A TCP port nobody listens on now, found by letting the kernel pick one.
function freeTcpPort() {
    return new Promise((resolve, reject) => {
        const probe = net.createServer();
        probe.unref();
        probe.on('error', reject);
        probe.listen(0, '127.0.0.1', () => {
            const { port } = probe.address();
            probe.close(() => resolve(port));
        });
    });
}

// A UDP port free on every address, since the server binds its media port on "::".
function freeUdpPort() {
    return new Promise((resolve, reject) => {
        const probe = dgram.createSocket('udp6');
        probe.on('error', reject);
        probe.bind(0, '::', () => {
            const { port } = probe.address();
            probe.close(() => resolve(port));
        });
    });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function healthy(url) {
    try {
        const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
        return response.status === 200;
    } catch {
        return false;
    }
}

// Starts the server for the test named NAME. Options: args (more command-line arguments),
// port and mediaPort (to restart a server where it was; free ones are picked otherwise),
// publicIp (the candidate address, default 127.0.0.1), logName (default NAME) and https (the
// server was given --tls-cert and --tls-key: its url is https://); netns and host
// run it in a network namespace (`ip netns exec NETNS`, which execs, so the PID is the server's)
// listening on HOST, where this process cannot reach it: it counts as up once its log says it
// listens. Resolves to { url, port, mediaPort, pid, logPath, exited(), log(), stop() }; rejects
// when the server does not come up (its log says why).
export async function startServer(name, options = {}) {
    fs.mkdirSync(OUT, { recursive: true });
    const binary = ONAIR_BINARY;
    const port = options.port || (await freeTcpPort());
    const mediaPort = options.mediaPort || (await freeUdpPort());
    const extraArgs = options.args || [];
    const host = options.host || '127.0.0.1';
    const args = [
        'serve',
        '--listen', `${host}:${port}`,
        '--media-port', String(mediaPort),
        // publicIp '' leaves the flag out, for tests that name candidates their own way.
        ...(options.publicIp === '' ? [] : ['--public-ip', options.publicIp || '127.0.0.1']),
        '--log-level', 'debug',
        ...extraArgs,
    ];
    const logPath = path.join(OUT, `${options.logName || name}-server.log`);
    const logFd = fs.openSync(logPath, 'w');
    fs.writeSync(logFd, `# ${binary} ${args.join(' ')}\n`);
    const child = options.netns
        ? spawn('ip', ['netns', 'exec', options.netns, binary, ...args], { cwd: ROOT, stdio: ['ignore', logFd, logFd] })
        : spawn(binary, args, { cwd: ROOT, stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    running.add(child);

    let exit = null; // { code, signal } once the process is gone
    const gone = new Promise((resolve) => {
        child.on('exit', (code, signal) => {
            exit = { code, signal };
            running.delete(child);
            resolve(exit);
        });
        child.on('error', (error) => {
            exit = { code: null, signal: null, error };
            running.delete(child);
            resolve(exit);
        });
    });

    const url = `${options.https ? 'https' : 'http'}://${host}:${port}`;
    const server = {
        url,
        port,
        mediaPort,
        pid: child.pid,
        logPath,
        exited: () => exit,
        log: () => fs.readFileSync(logPath, 'utf8'),

        // Stops the server: SIGTERM, then SIGKILL after STOP_MS. Resolves to a list of problems
        // (empty when the server ran and stopped cleanly). Calling it again gives the same list.
        stop() {
            stopping ||= stopNow();
            return stopping;
        },
        stopped: () => stopping !== null,
    };

    let stopping = null;
    async function stopNow() {
        const problems = [];
        if (exit) {
            problems.push(`the server exited by itself during the test (${describe(exit)})`);
        } else {
            child.kill('SIGTERM');
            const stopped = await Promise.race([gone, sleep(STOP_MS).then(() => null)]);
            if (!stopped) {
                problems.push(`the server did not stop within ${STOP_MS} ms of SIGTERM`);
                child.kill('SIGKILL');
                await gone;
            } else if (stopped.code !== 0) {
                problems.push(`the server stopped with ${describe(stopped)}`);
            }
        }
        const report = server.log().split('\n').filter((line) => SANITIZER.test(line));
        const summary = report.find((line) => line.startsWith('SUMMARY:')) || report[0];
        if (report.length) problems.push(`sanitizer report in ${logPath}: ${summary}`);
        return problems;
    }

    const deadline = Date.now() + STARTUP_MS;
    const up = options.netns ? async () => /onair listening/.test(server.log()) : () => healthy(url);
    while (!(await up())) {
        if (exit || Date.now() > deadline) {
            const why = exit ? `exited (${describe(exit)})` : `no answer on ${url}/healthz or log line`;
            await server.stop();
            const tail = server.log().split('\n').slice(-15).join('\n');
            throw new Error(`the server did not start: ${why}; end of ${logPath}:\n${tail}`);
        }
        await sleep(100);
    }
    return server;
}

function describe(exit) {
    if (exit.error) return exit.error.message;
    return exit.signal ? `signal ${exit.signal}` : `exit status ${exit.code}`;
}
