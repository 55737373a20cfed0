// /metrics: Prometheus text that a scraper accepts, with counters that move while a --source
// stream plays, and per-stream gauges.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, ROOT, OUT, ONAIR_BINARY } from './lib/server.mjs';
import { check, fail, done, note } from './lib/tap.mjs';

const media = path.join(OUT, 'metrics-media');
fs.mkdirSync(media, { recursive: true });
execFileSync(path.join(ROOT, 'scripts/make-demo-media'), [media], { stdio: 'ignore' });

// Parses exposition lines into {name{labels}: value}; returns null on a malformed line.
function parse(text) {
    const values = {};
    for (const line of text.split('\n')) {
        if (!line || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?) (-?[0-9.e+-]+|NaN)$/.exec(line);
        if (!m) return { bad: line };
        values[m[1]] = Number(m[3]);
    }
    return values;
}

const server = await startServer('metrics', { args: ['--source', `cam=${path.join(media, 'demo.webm')}`] });
try {
    const scrape = async () => {
        const r = await fetch(`${server.url}/metrics`);
        return { type: r.headers.get('content-type'), values: parse(await r.text()) };
    };
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const first = await scrape();
    check(first.type.startsWith('text/plain'), '/metrics is text/plain', first.type);
    check(!first.values.bad, 'every line is a valid exposition line', first.values.bad);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const second = await scrape();
    const key = 'onair_rtp_packets_received_total';
    check(second.values[key] > first.values[key] && first.values[key] > 0,
          'the received-packets counter rises while the source plays',
          `${first.values[key]} then ${second.values[key]}`);
    check(second.values['onair_stream_live{stream="cam"}'] === 1, 'the source stream is live');
    check(second.values['onair_stream_bitrate_bps{stream="cam",direction="in"}'] > 500000,
          'the stream bitrate in is that of the clip (over 500 kbit/s)');
    check(second.values['onair_sessions{role="viewer"}'] === 0, 'no viewer sessions yet');
    // Which library does SRTP's AES-GCM: Intel's where the build found it, else libgcrypt.
    const gcm = Object.keys(second.values).filter((k) => k.startsWith('onair_srtp_gcm_info{'));
    check(gcm.length === 1 && /^onair_srtp_gcm_info\{library="(libipsec-mb|libgcrypt) [0-9.]+( \([^")]+\))?"\}$/.test(gcm[0]) &&
          second.values[gcm[0]] === 1, 'onair_srtp_gcm_info names the AES-GCM library and its version', gcm.join(', '));
    // The loop waited for work most of these 1.5 s (a source alone is light), and the process
    // reports its CPU and memory as Prometheus's own clients do.
    const idle = second.values.onair_loop_idle_seconds_total - first.values.onair_loop_idle_seconds_total;
    check(idle > 0.5 && idle < 2, 'onair_loop_idle_seconds_total rises with the idle time', idle);
    check(second.values.process_cpu_seconds_total > first.values.process_cpu_seconds_total,
          'process_cpu_seconds_total rises while the source plays');
    check(second.values.process_resident_memory_bytes > 4 << 20,
          'process_resident_memory_bytes is the server\'s memory (over 4 MiB)',
          second.values.process_resident_memory_bytes);

    // Two viewers (onair bench: real WebRTC clients) watch for 2 s: the histograms fill.
    const binary = ONAIR_BINARY;
    execFileSync(binary, ['bench', `${server.url}/whep/cam`, '--viewers', '2', '--seconds', '2', '--json'],
                 { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000 });
    const third = await scrape();
    check(!third.values.bad, 'with histograms, every line is still a valid exposition line', third.values.bad);
    const histogram = (name) => {
        const buckets = Object.entries(third.values).filter(([k]) => k.startsWith(`${name}_bucket{`))
            .map(([k, v]) => ({ le: /le="([^"]+)"/.exec(k)[1], v }));
        const cumulative = buckets.every((b, i) => i === 0 || b.v >= buckets[i - 1].v);
        const inf = buckets.find((b) => b.le === '+Inf')?.v;
        return { buckets, cumulative, inf, count: third.values[`${name}_count`], sum: third.values[`${name}_sum`] };
    };
    // A file source cannot make a keyframe: each viewer is replayed the GOP so far as its keys
    // are ready, so its first keyframe goes out within the lowest bucket (50 ms).
    const join = histogram('onair_viewer_join_milliseconds');
    const joinedAtOnce = join.buckets.find((b) => b.le === '50')?.v;
    check(join.count >= 2 && join.inf === join.count && join.cumulative && joinedAtOnce === join.count,
          'onair_viewer_join_milliseconds counts both viewers\' first keyframes, at once, cumulative buckets',
          join);
    const delay = histogram('onair_forwarding_delay_microseconds');
    check(delay.count > 500 && delay.inf === delay.count && delay.cumulative,
          'onair_forwarding_delay_microseconds counts the forwarded packets, cumulative buckets', delay);
    // A file source's packets come from a timer: they must go out before the loop waits again,
    // not after its next wake-up (tens of ms). 90% within 5 ms leaves room for a loaded machine.
    const within5ms = third.values['onair_forwarding_delay_microseconds_bucket{le="5000"}'];
    check(within5ms >= 0.9 * delay.count, 'forwarding delay: 90% of packets within 5 ms',
          `${within5ms} of ${delay.count}`);
    // A video frame's packets to one viewer leave as one GSO message (UDP_SEGMENT).
    const datagrams = third.values.onair_udp_datagrams_sent_total;
    const messages = third.values.onair_udp_send_messages_total;
    check(datagrams > 500 && messages > 0 && messages < datagrams * 0.8,
          'runs of datagrams to a viewer go to the kernel as one message each (GSO)',
          `${datagrams} datagrams in ${messages} messages`);
    console.log(`# ${datagrams} datagrams in ${messages} messages`);
} catch (error) {
    fail('scraping /metrics', error);
} finally {
    const problems = await server.stop();
    check(problems.length === 0, 'the server ran and stopped cleanly', problems.join('; '));
}
done();
