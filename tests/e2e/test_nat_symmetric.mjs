// test_nat_symmetric: a client behind a port-randomizing NAT (MASQUERADE --random-fully: every
// new flow gets a random source port, so the mapping depends on the destination, as a symmetric
// NAT's does). STUN (coturn) and onair see the client on different ports: the srflx candidate
// Chromium gathered is useless for onair, yet onair is ICE-lite on a public address, so the
// client's checks still reach it and Chromium learns the real mapping from the check answer's
// XOR-MAPPED-ADDRESS: a peer-reflexive local candidate on another port than the srflx one.
import { MEDIA_PORT, NAT_IP, PUB_IP, runScenario } from './lib/nat_scenario.mjs';
import { check } from './lib/tap.mjs';

const srflxPorts = (pair) => (pair?.gathered || [])
    .filter((c) => c.startsWith(`srflx udp ${NAT_IP}:`)).map((c) => Number(c.split(':').pop()));

await runScenario({
    test: 'nat_symmetric',
    nat: 'random',
    serverSees: new RegExp(`^${NAT_IP}:\\d+ UDP$`),
    turn: true,
    expect: (pair) => [
        pair?.local?.type === 'prflx' && pair.local.protocol === 'udp' && pair.local.address === NAT_IP &&
            !srflxPorts(pair).includes(pair.local.port) &&
            pair.remote?.type === 'host' && pair.remote.protocol === 'udp' &&
            pair.remote.address === PUB_IP && pair.remote.port === MEDIA_PORT,
        `the selected pair is prflx ${NAT_IP} (on no port STUN reported) -> host udp ${PUB_IP}:${MEDIA_PORT}`,
    ],
    // Chromium stops gathering once a pair works, so a page may have no srflx candidate yet;
    // between the two, STUN must have answered, on other ports than onair saw.
    extra: async ({ publisher, viewer, pairOf }) => {
        const pairs = [await pairOf(publisher), await pairOf(viewer)];
        const ports = pairs.flatMap(srflxPorts);
        check(ports.length > 0 && pairs.every((p) => !ports.includes(p?.local?.port)),
            `STUN gave srflx candidates on ${NAT_IP}, on other ports than the selected pairs'`, pairs);
    },
});
