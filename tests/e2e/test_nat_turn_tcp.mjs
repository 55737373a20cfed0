// test_nat_turn_tcp: behind the NAT, a firewall that lets out only TCP to ports 80 (onair's HTTP)
// and 443 (coturn, as TURN deployments use to get through such firewalls). UDP anywhere and TCP
// to onair's ICE-TCP port are dropped, so the only way is TURN over TCP on 443, from the ICE
// servers onair hands the pages (--ice-server turn:...:443?transport=tcp, --turn-secret): the
// selected pair's local candidate is a relay one whose relay protocol is TCP, and its remote
// candidate onair's UDP host candidate (coturn relays to it over UDP on the public side).
// `onair record` and `onair publish` find no direct path, and after 3 s go through the TURN
// server on 443 that onair's answers named in their Link headers (the UDP one never answers).
import { MEDIA_PORT, PUB_IP, TURN_TCP_443, runScenario } from './lib/nat_scenario.mjs';
import { check } from './lib/tap.mjs';
import { inNs } from './lib/netns.mjs';

await runScenario({
    test: 'nat_turn_tcp',
    nat: 'masquerade',
    serverSees: new RegExp(`^${PUB_IP}:\\d+ UDP$`),
    turn: true,
    tcp: true,
    onair: {
        log: new RegExp(`no direct path after 3 s: going through TURN turn:${PUB_IP.replace(/\./g, '\\.')}:${TURN_TCP_443}\\?transport=tcp`),
        what: `falls back to TURN over TCP on ${TURN_TCP_443}, from the Link headers`,
        publishDelayMs: 4500, // the publisher needs its 3 s before it goes through TURN
    },
    firewall: (net) => {
        net.forward('-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
        for (const port of [80, TURN_TCP_443]) {
            net.forward('-p', 'tcp', '-d', PUB_IP, '--dport', String(port), '-j', 'ACCEPT');
        }
        net.forward('-j', 'DROP');
    },
    expect: (pair) => [
        pair?.local?.type === 'relay' && pair.local.relayProtocol === 'tcp' && pair.local.address === PUB_IP &&
            pair.remote?.type === 'host' && pair.remote.protocol === 'udp' &&
            pair.remote.address === PUB_IP && pair.remote.port === MEDIA_PORT,
        `the selected pair is relay (TURN over TCP ${PUB_IP}:${TURN_TCP_443}) -> host udp ${PUB_IP}:${MEDIA_PORT}`,
    ],
    extra: ({ net, coturn }) => {
        const rules = inNs(net.ns.router, 'iptables', '-L', 'FORWARD', '-n', '-v', '-x');
        const dropped = Number(/^\s*(\d+)\s+\d+\s+DROP\s+0\s+--\s+\*\s+\*\s+0\.0\.0\.0\/0\s+0\.0\.0\.0\/0\s*$/m.exec(rules)?.[1] || 0);
        check(dropped > 0, 'the router did drop the clients\' other attempts (UDP, ICE-TCP)', rules);
        check(/incoming packet ALLOCATE processed, success/.test(coturn.log()) && /TCP/.test(coturn.log()),
            'coturn allocated for the clients over TCP', coturn.logPath);
    },
});
