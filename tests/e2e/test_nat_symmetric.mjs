// test_nat_symmetric: a client behind a port-randomizing NAT (MASQUERADE --random-fully: every
// new flow gets a random source port, so the mapping depends on the destination, as a symmetric
// NAT's does). STUN (coturn) and onair see the client on different ports: the srflx candidate
// Chromium gathered is useless for onair, yet onair is ICE-lite on a public address, so the
// client's checks still reach it and Chromium learns the real mapping from the check answer's
// XOR-MAPPED-ADDRESS: a peer-reflexive local candidate on another port than the srflx one.
import { MEDIA_PORT, NAT_IP, PUB_IP, runScenario } from './lib/nat_scenario.mjs';

await runScenario({
    test: 'nat_symmetric',
    nat: 'random',
    turn: true,
    expect: (pair) => {
        const srflxPorts = (pair?.gathered || [])
            .filter((c) => c.startsWith(`srflx udp ${NAT_IP}:`)).map((c) => Number(c.split(':').pop()));
        return [
            pair?.local?.type === 'prflx' && pair.local.protocol === 'udp' && pair.local.address === NAT_IP &&
                srflxPorts.length > 0 && !srflxPorts.includes(pair.local.port) &&
                pair.remote?.type === 'host' && pair.remote.protocol === 'udp' &&
                pair.remote.address === PUB_IP && pair.remote.port === MEDIA_PORT,
            `the selected pair is prflx ${NAT_IP} on another port than STUN's srflx -> host udp ${PUB_IP}:${MEDIA_PORT}`,
        ];
    },
});
