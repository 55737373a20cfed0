// netns.mjs: a small Internet made of network namespaces for the NAT tests. "pub" holds onair and
// coturn on a public network (10.77.0.0/24); "router" joins it to a private network
// (192.168.77.0/24) through a NAT (iptables MASQUERADE) and a firewall; "client" holds the
// browser and aiortc on the private side. Every name carries the test's PID, so parallel runs do
// not clash; the veths live only inside the namespaces, so deleting the namespaces (at the end,
// also on failure or a signal) removes everything, iptables rules included. The root namespace
// is never touched.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { OUT } from './server.mjs';
import { sleep, waitFor } from './tap.mjs';

export const PUB_IP = '10.77.0.1'; // onair and coturn
export const NAT_IP = '10.77.0.2'; // the router's public side: what the NAT maps clients to
export const LAN_GATEWAY = '192.168.77.1';
export const CLIENT_IP = '192.168.77.2';
export const HTTP_PORT = 80;
export const MEDIA_PORT = 40000;
export const MEDIA_TCP_PORT = 40001;
export const TURN_PORT = 3478; // coturn, UDP and TCP
export const TURN_TCP_443 = 443; // TCP 443 in pub leads to coturn too, as firewalls let 443 out

const PREFIX = 'onair-nat-';

// Runs a command (sync); returns its stdout. Errors carry the command line and its stderr.
export function run(cmd, ...args) {
    try {
        return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
        throw new Error(`${cmd} ${args.join(' ')}: ${error.stderr || error.message}`);
    }
}

// Runs a command inside namespace NS.
export const inNs = (ns, cmd, ...args) => run('ip', 'netns', 'exec', ns, cmd, ...args);

// Namespaces left by runs that died without cleaning up (their PID is gone).
function removeStale() {
    for (const line of run('ip', 'netns', 'list').split('\n')) {
        const name = line.split(' ')[0];
        const m = new RegExp(`^${PREFIX}\\w+-(\\d+)-(pub|rtr|cli)$`).exec(name);
        if (m && !fs.existsSync(`/proc/${m[1]}`)) {
            try { run('ip', 'netns', 'del', name); } catch { /* raced with another cleaner */ }
        }
    }
}

// Makes the three namespaces and their links for the test TAG. NAT: 'masquerade' (Linux's
// usual NAT: endpoint-independent mapping, source ports kept when free) or 'random' (MASQUERADE
// --random-fully: each new flow gets a random port, so a client's mapping depends on where it
// sends: a symmetric NAT). Returns { ns: {pub, router, client}, remove() }; remove() is also
// run when the process exits.
export function makeNetwork(tag, { nat = 'masquerade' } = {}) {
    removeStale();
    const base = `${PREFIX}${tag}-${process.pid}`;
    const ns = { pub: `${base}-pub`, router: `${base}-rtr`, client: `${base}-cli` };
    let removed = false;
    const processes = new Set();
    const remove = () => {
        if (removed) return;
        removed = true;
        // Anything still running inside would keep a namespace alive after `ip netns del`.
        for (const pid of processes) {
            try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
        }
        for (const name of Object.values(ns)) {
            try { run('ip', 'netns', 'del', name); } catch { /* never made */ }
        }
    };
    process.on('exit', remove);
    try {
        for (const name of Object.values(ns)) {
            run('ip', 'netns', 'add', name);
            run('ip', '-n', name, 'link', 'set', 'lo', 'up');
        }
        run('ip', '-n', ns.pub, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'wan', 'netns', ns.router);
        run('ip', '-n', ns.client, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'lan', 'netns', ns.router);
        const addr = (name, dev, cidr) => {
            run('ip', '-n', name, 'addr', 'add', cidr, 'dev', dev);
            run('ip', '-n', name, 'link', 'set', dev, 'up');
        };
        addr(ns.pub, 'eth0', `${PUB_IP}/24`);
        addr(ns.router, 'wan', `${NAT_IP}/24`);
        addr(ns.router, 'lan', `${LAN_GATEWAY}/24`);
        addr(ns.client, 'eth0', `${CLIENT_IP}/24`);
        // The public side knows no route to the private network: only the NAT's address answers.
        run('ip', '-n', ns.client, 'route', 'add', 'default', 'via', LAN_GATEWAY);
        // /proc/sys/net is the reader's namespace's (no sysctl binary needed).
        inNs(ns.router, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward');
        inNs(ns.router, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE',
            ...(nat === 'random' ? ['--random-fully'] : []));
        // TCP 443 on the public host goes to coturn's TCP listener.
        inNs(ns.pub, 'iptables', '-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '--dport', String(TURN_TCP_443),
            '-j', 'REDIRECT', '--to-ports', String(TURN_PORT));
    } catch (error) {
        remove();
        throw error;
    }
    return {
        ns,
        // Firewall rules in the router's FORWARD chain, e.g. ['-p', 'udp', '--dport', '40000', '-j', 'DROP'].
        forward(...rule) { inNs(ns.router, 'iptables', '-A', 'FORWARD', ...rule); },
        // The same, in front of the rules already there.
        forwardFirst(...rule) { inNs(ns.router, 'iptables', '-I', 'FORWARD', '1', ...rule); },
        // The router's NAT table and counters, for a failing test to show.
        dump() {
            return inNs(ns.router, 'iptables', '-t', 'nat', '-L', '-n', '-v') +
                inNs(ns.router, 'iptables', '-L', 'FORWARD', '-n', '-v');
        },
        // PIDs to kill before the namespaces go.
        track(pid) { processes.add(pid); },
        untrack(pid) { processes.delete(pid); },
        remove,
    };
}

// Runs Debian's coturn in the pub namespace with the TURN REST secret, on PUB_IP:TURN_PORT (UDP
// and TCP; TCP 443 is redirected there), relaying only to PUB_IP.
export async function startCoturn(net, test, secret) {
    fs.mkdirSync(OUT, { recursive: true });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-coturn-'));
    const logPath = path.join(OUT, `${test}-coturn.log`);
    const args = [
        '-n', '--listening-ip', PUB_IP, '--relay-ip', PUB_IP, '--listening-port', String(TURN_PORT),
        '--min-port', '49152', '--max-port', '65535',
        '--use-auth-secret', `--static-auth-secret=${secret}`, '--realm=onair',
        '--no-cli', '--no-tls', '--no-dtls', `--allowed-peer-ip=${PUB_IP}`,
        '--log-file=stdout', '--simple-log', '--verbose',
        `--pidfile=${dir}/turnserver.pid`, `--userdb=${dir}/turndb`,
    ];
    const logFd = fs.openSync(logPath, 'w');
    fs.writeSync(logFd, `# turnserver ${args.join(' ').replace(secret, 'SECRET')}\n`);
    const child = spawn('ip', ['netns', 'exec', net.ns.pub, 'turnserver', ...args], { stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    net.track(child.pid);
    let exit = null;
    const gone = new Promise((resolve) => child.on('exit', (code, signal) => resolve((exit = { code, signal }))));
    const log = () => fs.readFileSync(logPath, 'utf8');
    const ready = await waitFor(() => exit || /Total General servers/.test(log()), 10000, 100);
    if (!ready || exit) throw new Error(`coturn did not start (${JSON.stringify(exit)}); see ${logPath}`);
    return {
        logPath,
        log,
        running: () => exit === null,
        async stop() {
            if (!exit) {
                child.kill('SIGTERM');
                if (!(await Promise.race([gone, sleep(5000).then(() => null)]))) {
                    child.kill('SIGKILL');
                    await gone;
                }
            }
            net.untrack(child.pid);
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

// Code for a page's context: what the test reads from a peer connection. The selected pair of
// the transport (RTCTransportStats.selectedCandidatePairId), its two candidates, every local
// candidate gathered, and the video frame counters.
export const PAIR_PROBE = async (pc) => {
    if (!pc) return null;
    const stats = await pc.getStats();
    let transport = null;
    const gathered = [];
    let framesDecoded = 0;
    let framesEncoded = 0;
    stats.forEach((s) => {
        if (s.type === 'transport') transport = s;
        if (s.type === 'local-candidate') gathered.push(`${s.candidateType} ${s.protocol} ${s.address}:${s.port}`);
        if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded += s.framesDecoded || 0;
        if (s.type === 'outbound-rtp' && s.kind === 'video') framesEncoded += s.framesEncoded || 0;
    });
    const pair = transport && stats.get(transport.selectedCandidatePairId);
    const side = (id) => {
        const c = id && stats.get(id);
        return c && {
            type: c.candidateType, protocol: c.protocol, address: c.address, port: c.port,
            relayProtocol: c.relayProtocol || null, tcpType: c.tcpType || null,
        };
    };
    return {
        connectionState: pc.connectionState,
        state: pair?.state || null,
        nominated: pair?.nominated || false,
        local: side(pair?.localCandidateId),
        remote: side(pair?.remoteCandidateId),
        gathered,
        framesDecoded,
        framesEncoded,
    };
};

// "type protocol address:port" for one side of a pair, to compare and print.
export const describeCandidate = (c) =>
    c ? `${c.type} ${c.protocol}${c.relayProtocol ? `(relay over ${c.relayProtocol})` : ''} ${c.address}:${c.port}` : 'none';
