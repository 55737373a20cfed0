// test_nat_udp_blocked: behind the NAT, the router drops UDP to onair's media port, so only
// ICE-TCP (onair --media-tcp-port, a passive TCP candidate) or TURN can carry media. This server
// offers no TURN (test_nat_turn_tcp has it): with both, Chromium takes whichever becomes writable
// first, and it gathers TCP last and stops gathering once a pair works, so a relay pair often
// wins. The selected pair must be Chromium's active TCP candidate (peer-reflexive: the NAT's
// address, learned from onair's answer) -> onair's passive TCP candidate.
import { CLIENT_IP, MEDIA_PORT, MEDIA_TCP_PORT, NAT_IP, PUB_IP, aiortcViewer, runScenario } from './lib/nat_scenario.mjs';
import { check, note, sleep } from './lib/tap.mjs';
import { inNs } from './lib/netns.mjs';

await runScenario({
    test: 'nat_udp_blocked',
    nat: 'masquerade',
    serverSees: new RegExp(`^${NAT_IP}:\\d+ TCP$`),
    turn: false,
    tcp: true,
    firewall: (net) => net.forward('-p', 'udp', '-d', PUB_IP, '--dport', String(MEDIA_PORT), '-j', 'DROP'),
    expect: (pair) => [
        pair?.local?.type === 'prflx' && pair.local.protocol === 'tcp' && pair.local.address === NAT_IP &&
            pair.remote?.type === 'host' && pair.remote.protocol === 'tcp' &&
            pair.remote.tcpType === 'passive' && pair.remote.address === PUB_IP && pair.remote.port === MEDIA_TCP_PORT,
        `the selected pair is prflx tcp ${NAT_IP} -> onair's passive TCP candidate ${PUB_IP}:${MEDIA_TCP_PORT}`,
    ],
    extra: async ({ net, server, viewer, pairOf, name }) => {
        const drops = inNs(net.ns.router, 'iptables', '-L', 'FORWARD', '-n', '-v', '-x');
        const dropped = Number(/^\s*(\d+)\s+\d+\s+DROP/m.exec(drops)?.[1] || 0);
        check(dropped > 0, 'the router did drop UDP to the media port (the clients tried it)', drops);

        // Two peers on one public ip:port, one over TCP and one over UDP: the NAT keeps source
        // ports when it can, so the TCP viewer's port P, taken by a UDP socket on the client,
        // is also P outside. The router lets UDP from port P through, and an aiortc viewer
        // watches from it. onair must keep the two apart: each gets its own media.
        const tcpViewer = await pairOf(viewer);
        const port = tcpViewer?.local?.port;
        note(`the TCP viewer is ${NAT_IP}:${port}; an aiortc viewer takes UDP ${CLIENT_IP}:${port}`);
        net.forwardFirst('-p', 'udp', '-s', CLIENT_IP, '--sport', String(port), '-d', PUB_IP,
            '--dport', String(MEDIA_PORT), '-j', 'ACCEPT');
        const before = tcpViewer?.framesDecoded || 0;
        const report = await aiortcViewer(net, `${server.url}/whep/${name}`, 5, port);
        note('aiortc viewer:', report);
        check(report.pair?.local?.port === port && report.pair?.remote?.protocol === 'udp',
            `aiortc watches over UDP from ${CLIENT_IP}:${port}, the TCP viewer's port`,
            { report, router: net.dump() });
        check(report.frames > 30, 'the UDP viewer on the TCP viewer\'s ip:port receives video', report);
        await sleep(1000);
        const after = await pairOf(viewer);
        check(after?.framesDecoded > before + 60 && after.local?.protocol === 'tcp',
            'the TCP viewer kept decoding on its TCP pair meanwhile', { before, after: after?.framesDecoded });
        const log = server.log();
        check(log.includes(`${NAT_IP}:${port} over TCP`) && log.includes(`${NAT_IP}:${port} over UDP`),
            `onair saw ${NAT_IP}:${port} over TCP and over UDP, as two peers`, server.logPath);
    },
});
