// test_nat_masquerade: a client behind a Linux NAT (iptables MASQUERADE, endpoint-independent
// mapping), onair and coturn on the public side, all in namespaces the test makes (lib/netns.mjs).
// Chromium publishes and watches through the server's pages; an aiortc viewer watches too.
// onair is ICE-lite with a public host candidate, so the client's checks reach it through the
// NAT and the pair is the client's mapped address -> onair's host candidate over UDP. Chromium
// learns its mapped address from the check's XOR-MAPPED-ADDRESS; it equals the srflx candidate
// coturn's STUN reported (the mapping does not depend on the destination), so the selected
// pair's local candidate is that srflx one. aioice reports the host candidate the check left from.
// `onair record` and `onair publish` get through directly as well, with no need of the TURN
// servers they are offered.
import { MEDIA_PORT, NAT_IP, PUB_IP, CLIENT_IP, runScenario } from './lib/nat_scenario.mjs';

const toMediaPort = (remote) =>
    remote?.type === 'host' && remote.protocol === 'udp' && remote.address === PUB_IP && remote.port === MEDIA_PORT;

await runScenario({
    test: 'nat_masquerade',
    nat: 'masquerade',
    serverSees: new RegExp(`^${NAT_IP}:\\d+ UDP$`),
    turn: true,
    aiortc: true,
    // srflx, or prflx when Chromium had not gathered its srflx candidate before the first answer
    // (it stops gathering once a pair works: seen on a busy machine); either way on the port of
    // its host candidate, which this NAT keeps.
    expect: (pair) => {
        const hostPorts = (pair?.gathered || [])
            .filter((c) => c.startsWith(`host udp ${CLIENT_IP}:`)).map((c) => Number(c.split(':').pop()));
        const gotSrflx = (pair?.gathered || []).some((c) => c === `srflx udp ${NAT_IP}:${pair?.local?.port}`);
        return [
            (pair?.local?.type === 'srflx' || (pair?.local?.type === 'prflx' && !gotSrflx)) &&
                pair.local.protocol === 'udp' && pair.local.address === NAT_IP &&
                hostPorts.includes(pair.local.port) && toMediaPort(pair.remote),
            `the selected pair is srflx ${NAT_IP}, on the host candidate's port -> host udp ${PUB_IP}:${MEDIA_PORT}`,
        ];
    },
    onair: { log: /^(?![\s\S]*going through TURN)/, what: 'connects directly, without falling back to TURN' },
    expectAiortc: (pair) => [
        pair?.local?.type === 'host' && pair.local.address === CLIENT_IP && toMediaPort(pair.remote),
        `aioice nominated host ${CLIENT_IP} -> host udp ${PUB_IP}:${MEDIA_PORT}`,
    ],
});
