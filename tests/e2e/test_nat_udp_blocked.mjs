// test_nat_udp_blocked: behind the NAT, the router drops UDP to onair's media port, so only
// ICE-TCP (onair --media-tcp-port, a passive TCP candidate) or TURN can carry media. This server
// offers no TURN (test_nat_turn_tcp has it): with both, Chromium takes whichever becomes writable
// first, and it gathers TCP last and stops gathering once a pair works, so a relay pair often
// wins. The selected pair must be Chromium's active TCP candidate (peer-reflexive: the NAT's
// address, learned from onair's answer) -> onair's passive TCP candidate.
import { MEDIA_PORT, MEDIA_TCP_PORT, NAT_IP, PUB_IP, runScenario } from './lib/nat_scenario.mjs';
import { check } from './lib/tap.mjs';
import { inNs } from './lib/netns.mjs';

await runScenario({
    test: 'nat_udp_blocked',
    nat: 'masquerade',
    turn: false,
    tcp: true,
    firewall: (net) => net.forward('-p', 'udp', '-d', PUB_IP, '--dport', String(MEDIA_PORT), '-j', 'DROP'),
    expect: (pair) => [
        pair?.local?.type === 'prflx' && pair.local.protocol === 'tcp' && pair.local.address === NAT_IP &&
            pair.remote?.type === 'host' && pair.remote.protocol === 'tcp' &&
            pair.remote.tcpType === 'passive' && pair.remote.address === PUB_IP && pair.remote.port === MEDIA_TCP_PORT,
        `the selected pair is prflx tcp ${NAT_IP} -> onair's passive TCP candidate ${PUB_IP}:${MEDIA_TCP_PORT}`,
    ],
    extra: ({ net }) => {
        const drops = inNs(net.ns.router, 'iptables', '-L', 'FORWARD', '-n', '-v', '-x');
        const dropped = Number(/^\s*(\d+)\s+\d+\s+DROP/m.exec(drops)?.[1] || 0);
        check(dropped > 0, 'the router did drop UDP to the media port (the clients tried it)', drops);
    },
});
