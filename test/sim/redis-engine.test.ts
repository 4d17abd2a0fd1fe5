// SimRedis on hand-made command sequences: the virtual clock, blocking, transactions,
// restarts, scripts, the RESP layer and the in-memory ioredis connector.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { simConnectorFor, type DeliveryPolicy, type SimLink } from '../../harness/sim/redis/connection.ts';
import { SimRedis } from '../../harness/sim/redis/engine.ts';
import { sha1hex } from '../../harness/sim/redis/lua.ts';
import { array, bulk, bulks, encodeReply, error, int, NIL, NIL_ARRAY, OK, status, type Reply } from '../../harness/sim/redis/reply.ts';
import { textBytes } from '../../harness/sim/redis/bytes.ts';
import { encodeRequest, ReplyParser, RequestParser } from '../../harness/sim/redis/resp.ts';

/** a SimRedis on a clock the test moves, recording every push per connection */
function setup(opts: { password?: string; start?: number } = {}) {
  const clock = { now: opts.start ?? 0 };
  const sim = new SimRedis({ now: () => clock.now, password: opts.password });
  const pushes = new Map<number, Reply[]>();
  sim.onPush = (conn, r) => {
    if (!pushes.has(conn)) pushes.set(conn, []);
    pushes.get(conn)!.push(r);
  };
  const conn = () => {
    const id = sim.connect();
    const run = (...argv: string[]) => sim.exec(id, argv);
    const pushed = () => {
      const got = pushes.get(id) ?? [];
      pushes.set(id, []);
      return got;
    };
    return { id, run, pushed };
  };
  const at = (ms: number) => {
    clock.now = ms;
    sim.tick();
  };
  return { sim, clock, conn, at };
}

const lua = (file: string) => readFileSync(new URL(`../../system-under-test/lua/${file}`, import.meta.url), 'utf8');

describe('RESP', () => {
  it('parses requests split at every byte, pipelined, multibulk and inline, into byte strings, utf8 and invalid utf8 across chunks', () => {
    const binary = String.fromCharCode(0xff, 0, 0xc3, 0x0d, 0x0a, 0x80);
    const bytes = Buffer.concat([
      Buffer.from(encodeRequest(['SET', textBytes('küche'), textBytes('grüße ✓')]), 'latin1'),
      Buffer.from(encodeRequest(['GET', textBytes('küche')]), 'latin1'),
      Buffer.from('PING hello\r\n'),
      Buffer.from(encodeRequest(['XADD', 's', '*', 'f', '', binary]), 'latin1'),
    ]);
    const want = [['SET', 'k\xc3\xbcche', 'gr\xc3\xbc\xc3\x9fe \xe2\x9c\x93'], ['GET', 'k\xc3\xbcche'], ['PING', 'hello'], ['XADD', 's', '*', 'f', '', binary]];
    for (let size = 1; size <= 7; size++) {
      const p = new RequestParser();
      const got: string[][] = [];
      for (let i = 0; i < bytes.length; i += size) got.push(...p.feed(bytes.subarray(i, i + size)));
      expect(got).toEqual(want);
    }
    expect(new RequestParser().feed(bytes)).toEqual(want);
  });

  it('reads a string a client writes as its UTF-8 bytes, whole or after a pending part', () => {
    expect(new RequestParser().feed('*2\r\n$3\r\nGET\r\n$6\r\nküche\r\n')).toEqual([['GET', 'k\xc3\xbcche']]);
    const p = new RequestParser();
    expect(p.feed(Buffer.from('*2\r\n$3\r\nGET\r\n$4\r\n'))).toEqual([]);
    expect(p.feed(Buffer.from([0xff, 0xfe]))).toEqual([]);
    expect(p.feed('ü\r\n*1\r\n$4\r\nPING\r\n')).toEqual([['GET', '\xff\xfe\xc3\xbc'], ['PING']]);
  });

  it('encodes replies with byte lengths, and the reply parser reads them back', () => {
    const r = array([status('OK'), error('ERR x'), int(-3), bulk(textBytes('ü€')), NIL, NIL_ARRAY, array([]), bulk('\xff\r\n\x00')]);
    const wire = encodeReply(r);
    expect(wire).toBe('*8\r\n+OK\r\n-ERR x\r\n:-3\r\n$5\r\n\xc3\xbc\xe2\x82\xac\r\n$-1\r\n*-1\r\n*0\r\n$4\r\n\xff\r\n\x00\r\n');
    const p = new ReplyParser();
    const buf = Buffer.from(wire, 'latin1');
    const out: Reply[] = [];
    for (let i = 0; i < buf.length; i++) out.push(...p.feed(buf.subarray(i, i + 1)));
    expect(out).toEqual([r]);
  });
});

describe('commands and errors', () => {
  it('answers errors as replies, never exceptions, whatever the argv', () => {
    const { conn } = setup();
    const c = conn();
    const word = fc.oneof(
      fc.constantFrom('GET', 'SET', 'XADD', 'XREADGROUP', 'XGROUP', 'EVAL', 'MULTI', 'EXEC', 'WATCH', 'SUBSCRIBE', 'XCLAIM', 'XAUTOCLAIM', 'XPENDING', 'XINFO', 'SCRIPT', 'CLIENT', 'BRPOP', 'PEXPIRE', 'SCAN'),
      fc.constantFrom('s', 'k', 'g', 'c', '0', '-1', '>', '$', '*', '1-1', 'BLOCK', 'COUNT', 'GROUP', 'STREAMS', 'MKSTREAM', 'JUSTID', 'NOACK', 'return 1', '1', '(1-1', '+', '-'),
      fc.string({ maxLength: 5 }),
    );
    fc.assert(
      fc.property(fc.array(fc.array(word, { minLength: 1, maxLength: 9 }), { maxLength: 30 }), (cmds) => {
        for (const argv of cmds) {
          const r = c.run(...argv);
          expect(r === 'blocked' || r === 'pushed-only' || typeof r.t === 'string').toBe(true);
          if (r === 'blocked') c.run('PING'); // queued behind it; still no exception
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses commands before AUTH when a password is set', () => {
    const { conn } = setup({ password: 'pw' });
    const c = conn();
    expect(c.run('GET', 'k')).toEqual(error('NOAUTH Authentication required.'));
    expect(c.run('AUTH', 'nope')).toEqual(error('WRONGPASS invalid username-password pair or user is disabled.'));
    expect(c.run('AUTH', 'pw')).toEqual(OK);
    expect(c.run('INFO')).toMatchObject({ t: 'bulk', v: expect.stringContaining('loading:0') });
    expect(c.run('CLIENT', 'SETNAME', 'worker-1')).toEqual(OK);
    expect(c.run('CLIENT', 'GETNAME')).toEqual(bulk('worker-1'));
    expect(c.run('CLIENT', 'SETINFO', 'LIB-NAME', 'x')).toEqual(error("ERR unknown subcommand 'SETINFO'. Try CLIENT HELP."));
    expect(c.run('SELECT', '0')).toEqual(OK);
  });

  it('takes TIME from the virtual clock, fractional ms included', () => {
    const { conn, clock } = setup({ start: 1_700_000_000_123.456 });
    expect(conn().run('TIME')).toEqual(bulks(['1700000000', '123456']));
    clock.now = 5;
    expect(conn().run('TIME')).toEqual(bulks(['0', '5000']));
  });
});

describe('expiry on the virtual clock', () => {
  it('keeps a key until the integer clock is past its expiry, then removes it (lazily or on tick)', () => {
    const { sim, conn, at } = setup({ start: 1000 });
    const c = conn();
    expect(c.run('SET', 'k', 'v', 'PX', '100')).toEqual(OK);
    expect(c.run('HSET', 'h', 'f', 'v')).toEqual(int(1));
    expect(c.run('PEXPIRE', 'h', '50')).toEqual(int(1));
    expect(sim.nextDeadline()).toBe(1051);
    at(1050);
    expect(c.run('PTTL', 'h')).toEqual(int(0));
    expect(c.run('HGET', 'h', 'f')).toEqual(bulk('v'));
    at(1051);
    expect(c.run('EXISTS', 'h')).toEqual(int(0));
    expect(sim.nextDeadline()).toBe(1101);
    at(1100.5);
    expect(c.run('GET', 'k')).toEqual(bulk('v'));
    at(1101);
    expect(c.run('DBSIZE')).toEqual(int(0));
    expect(sim.nextDeadline()).toBeUndefined();
  });

  it('aborts EXEC when a WATCHed key expired, but not for a key already expired at WATCH', () => {
    const { conn, at } = setup();
    const c = conn();
    c.run('SET', 'a', '1', 'PX', '10');
    c.run('WATCH', 'a');
    at(20); // expired, not yet removed
    c.run('MULTI');
    c.run('SET', 'b', '1');
    expect(c.run('EXEC')).toEqual(NIL_ARRAY);
    c.run('SET', 'a', '1', 'PX', '10');
    at(40);
    c.run('WATCH', 'a'); // already logically expired
    c.run('GET', 'a'); // its removal is no change
    c.run('MULTI');
    c.run('SET', 'b', '2');
    expect(c.run('EXEC')).toEqual(array([OK]));
  });
});

describe('blocked commands', () => {
  it('time out with a nil array once the clock is past BLOCK ms; BLOCK 0 waits forever', () => {
    const { sim, conn, at } = setup({ start: 10_000 });
    const a = conn();
    const b = conn();
    a.run('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
    expect(a.run('XREADGROUP', 'GROUP', 'g', 'a', 'BLOCK', '1000', 'STREAMS', 's', '>')).toBe('blocked');
    expect(b.run('BRPOP', 'q', '0')).toBe('blocked');
    expect(sim.nextDeadline()).toBe(11_001);
    at(11_000);
    expect(a.pushed()).toEqual([]);
    at(11_001);
    expect(a.pushed()).toEqual([NIL_ARRAY]);
    expect(sim.nextDeadline()).toBeUndefined();
    at(1e12);
    expect(b.pushed()).toEqual([]);
    expect(b.run('PING')).toBe('blocked'); // waits in b's input behind BRPOP
    conn().run('LPUSH', 'q', 'job');
    expect(b.pushed()).toEqual([array([bulk('q'), bulk('job')]), status('PONG')]);
  });

  it('wake in FIFO order when a script or EXEC writes, after it completes', () => {
    const { conn } = setup();
    const [a, b, w] = [conn(), conn(), conn()];
    const order: string[] = [];
    a.run('BRPOP', 'q', '0');
    b.run('BRPOP', 'q', '0');
    w.run('MULTI');
    w.run('LPUSH', 'q', 'x');
    w.run('LLEN', 'q');
    const exec = w.run('EXEC');
    order.push(...a.pushed().map((r) => `a ${JSON.stringify(r)}`), ...b.pushed().map((r) => `b ${JSON.stringify(r)}`));
    // the transaction saw the element: the waiter got it only after EXEC
    expect(exec).toEqual(array([int(1), int(1)]));
    expect(order).toEqual([`a ${JSON.stringify(array([bulk('q'), bulk('x')]))}`]);
    expect(w.run('EVAL', 'redis.call("RPUSH", KEYS[1], "y"); return redis.call("LLEN", KEYS[1])', '1', 'q')).toEqual(int(1));
    expect(b.pushed()).toEqual([array([bulk('q'), bulk('y')])]);
  });

  it('are dropped with their connection', () => {
    const { conn, sim } = setup();
    const [a, w] = [conn(), conn()];
    a.run('BRPOP', 'q', '0');
    a.run('SUBSCRIBE', 'ch');
    sim.disconnect(a.id);
    expect(w.run('LPUSH', 'q', 'x')).toEqual(int(1));
    expect(w.run('LLEN', 'q')).toEqual(int(1));
    expect(w.run('PUBLISH', 'ch', 'm')).toEqual(int(0));
    expect(a.run('PING')).toEqual(error('ERR connection closed'));
  });
});

describe('restart', () => {
  it('keeps data, streams, groups and pending entries; drops connections; empties the script cache', () => {
    const { sim, conn, at } = setup({ start: 1000 });
    const dropped: number[] = [];
    sim.onDrop = (id) => dropped.push(id);
    const a = conn();
    const b = conn();
    a.run('XGROUP', 'CREATE', 's', 'g', '0', 'MKSTREAM');
    a.run('XADD', 's', '*', 'job', '1');
    a.run('XREADGROUP', 'GROUP', 'g', 'w', 'STREAMS', 's', '>');
    a.run('SET', 'ttl', 'v', 'PX', '500');
    const sha = a.run('SCRIPT', 'LOAD', 'return 1') as Reply;
    b.run('BRPOP', 'q', '0');
    const pendingBefore = a.run('XPENDING', 's', 'g');
    sim.restart();
    expect(dropped.sort()).toEqual([a.id, b.id].sort());
    expect(a.run('PING')).toEqual(error('ERR connection closed'));
    const c = conn();
    expect(c.run('XPENDING', 's', 'g')).toEqual(pendingBefore);
    expect(c.run('XINFO', 'GROUPS', 's')).toMatchObject({ t: 'array' });
    expect(c.run('EVALSHA', String(sha.v), '0')).toEqual(error('NOSCRIPT No matching script. Please use EVAL.'));
    expect(c.run('LPUSH', 'q', 'x')).toEqual(int(1)); // b's BRPOP is gone
    at(1501);
    expect(c.run('GET', 'ttl')).toEqual(NIL);
  });
});

describe('scripts', () => {
  it("converts values Redis's way both directions", () => {
    const { conn } = setup();
    const c = conn();
    const ev = (body: string, ...rest: string[]) => c.run('EVAL', body, String(rest.length ? 1 : 0), ...rest);
    expect(ev('return 3.9')).toEqual(int(3));
    expect(ev('return {1, "a", {true, false}, nil, 5}')).toEqual(array([int(1), bulk('a'), array([int(1), NIL])]));
    expect(ev('return {ok = "fine"}')).toEqual(status('fine'));
    expect(ev('return redis.error_reply("boom")')).toEqual(error('ERR boom'));
    expect(ev('return redis.call("GET", KEYS[1])', 'none')).toEqual(NIL);
    expect(ev('return tostring(redis.call("GET", KEYS[1]))', 'none')).toEqual(bulk('false'));
    expect(ev('return redis.call("SET", KEYS[1], 7 / 2)', 'k')).toEqual(OK);
    expect(c.run('GET', 'k')).toEqual(bulk('3.5'));
    expect(ev('return (10 / 2) .. ""')).toEqual(bulk('5')); // Lua 5.1 prints integral floats without ".0"
    expect(ev('return unpack({table.getn({1, 2}), 2})')).toEqual(int(2));
    const pcall = ev('local r = redis.pcall("INCR", KEYS[1]); return {type(r), r.err}', 'k');
    expect(pcall).toEqual(array([bulk('table'), bulk('ERR value is not an integer or out of range')]));
    const body = 'return redis.call("INCR", KEYS[1])';
    expect(ev(body, 'k')).toEqual(error(`ERR value is not an integer or out of range script: ${sha1hex(body)}, on @user_script:1.`));
    expect(ev('return x')).toMatchObject({ t: 'error', v: expect.stringMatching(/^ERR user_script:1: Script attempted to access nonexistent global variable 'x' script: /) });
    expect(ev('y = 1')).toMatchObject({ t: 'error', v: expect.stringMatching(/^ERR user_script:1: Attempt to modify a readonly table/) });
    expect(ev('return +')).toMatchObject({ t: 'error', v: expect.stringMatching(/^ERR Error compiling script \(new function\): user_script:1:/) });
    expect(ev('return redis.call("BRPOP", "q", 0)')).toMatchObject({ t: 'error', v: expect.stringMatching(/^ERR This Redis command is not allowed from script/) });
    expect(ev('return math.random(1000)')).toEqual(ev('return math.random(1000)'));
  });

  it('keeps calls, returns and strings right through the bridge: results moved, varargs, deep recursion, arguments read back', () => {
    // lua.ts replaces fengari's adjust_top and luaD_poscall (freed stack slots set to undefined,
    // not deleted) and looks up the JS text of strings it knows (constants, what it pushed)
    const { conn } = setup();
    const c = conn();
    const ev = (body: string, keys: string[] = [], ...args: string[]) => c.run('EVAL', body, String(keys.length), ...keys, ...args);
    expect(ev('local function f() return 1, 2, 3 end; local a, b = f(); local t = {f()}; local u = {f(), f()}; return {a, b, #t, #u, select("#", f())}')).toEqual(array([int(1), int(2), int(3), int(4), int(3)]));
    expect(ev('local function f(...) return select("#", ...), ... end; local n, x, y = f(nil, "v", nil); return {n, tostring(x), y}')).toEqual(array([int(3), bulk('nil'), bulk('v')]));
    expect(ev('local function none() end; local a, b = none(); return {type(a), type(b), select("#", none())}')).toEqual(array([bulk('nil'), bulk('nil'), int(0)]));
    // a recursion deep enough to grow the stack many times over, returning several values a level
    expect(ev('local function d(n) if n == 0 then return 0, 1 end; local a, b = d(n - 1); return a + 1, b * 1 end; local a, b = d(5000); return {a, b}')).toEqual(array([int(5000), int(1)]));
    expect(ev('local function s(n, ...) if n == 0 then return select("#", ...) end; return s(n - 1, n, ...) end; return s(180)')).toEqual(int(180));
    // arguments, replies and constants read back as the same bytes, ASCII, UTF-8 or not, every time
    for (const v of ['plain', textBytes('naïve “quotes”'), '\xff\x00\r\n\x80', '', 'x'.repeat(2000), '\xe9'.repeat(2000)]) {
      expect(ev('redis.call("SET", KEYS[1], ARGV[1]); local r = redis.call("GET", KEYS[1]); redis.call("SET", "copy", r); return redis.call("GET", "copy")', ['k'], v)).toEqual(bulk(v));
      expect(c.run('GET', 'copy')).toEqual(bulk(v));
    }
    expect(ev(textBytes('return redis.call("SET", "const", "naïve constant")'))).toEqual(OK);
    expect(c.run('GET', 'const')).toEqual(bulk(textBytes('naïve constant')));
    expect(ev('local parts = {}; for i = 1, 40 do parts[i] = ARGV[i] end; redis.call("RPUSH", "l", unpack(parts)); return redis.call("LRANGE", "l", 0, -1)', [], ...Array.from({ length: 40 }, (_, i) => `arg-${i}`))).toEqual(array(Array.from({ length: 40 }, (_, i) => bulk(`arg-${i}`))));
    expect(ev('return redis.call("SET", "made", ARGV[1] .. "-" .. 7)', [], 'joined')).toEqual(OK);
    expect(c.run('GET', 'made')).toEqual(bulk('joined-7'));
  });

  it('caches scripts by sha: SCRIPT LOAD, EXISTS, EVALSHA, FLUSH', () => {
    const { conn } = setup();
    const c = conn();
    const sha = sha1hex('return ARGV[1]');
    expect(c.run('EVALSHA', sha, '0', 'x')).toEqual(error('NOSCRIPT No matching script. Please use EVAL.'));
    expect(c.run('SCRIPT', 'LOAD', 'return ARGV[1]')).toEqual(bulk(sha));
    expect(c.run('EVALSHA', sha.toUpperCase(), '0', 'x')).toEqual(bulk('x'));
    expect(c.run('SCRIPT', 'EXISTS', sha, 'nope')).toEqual(array([int(1), int(0)]));
    expect(c.run('SCRIPT', 'FLUSH')).toEqual(OK);
    expect(c.run('EVALSHA', sha, '0', 'x')).toEqual(error('NOSCRIPT No matching script. Please use EVAL.'));
  });

  it("runs the system's four scripts unchanged: submit, apply with the state machine, the planted variants", () => {
    const { conn, clock } = setup({ start: 1_700_000_000_000 });
    const c = conn();
    const apply = lua('apply-event.lua');
    const lww = lua('apply-event-lww.lua');
    c.run('XGROUP', 'CREATE', 'sut:events', 'keepers', '0', 'MKSTREAM');
    const submit = (file: string, taskId: string, queue: string) =>
      c.run('EVAL', lua(file), '3', `sut:task:${taskId}`, queue, `sut:job:${taskId}-0`, taskId, 'd', '1', '', `["${taskId}-0"]`, `${taskId}-0`, '{}', '30000');
    expect(submit('submit-task.lua', 't1', 'sut:jobs')).toEqual(array([int(1), bulk('t1'), bulk('["t1-0"]')]));
    expect(submit('submit-task.lua', 't1', 'sut:jobs')).toEqual(array([int(0), bulk('t1'), bulk('["t1-0"]')]));
    expect(c.run('XLEN', 'sut:jobs')).toEqual(int(1));
    expect(submit('submit-task-list.lua', 't2', 'sut:queue')).toEqual(array([int(1), bulk('t2'), bulk('["t2-0"]')]));
    expect(c.run('LRANGE', 'sut:queue', '0', '-1')).toEqual(bulks(['t2-0']));
    const ev = (body: string, jobId: string, type: string, attempt: string) => {
      clock.now += 7;
      c.run('XADD', 'sut:events', '*', 'jobId', jobId, 'type', type);
      const [delivered] = ((c.run('XREADGROUP', 'GROUP', 'keepers', 'k1', 'STREAMS', 'sut:events', '>') as Reply).v as Reply[]);
      const eventId = String((((delivered.v as Reply[])[1].v as Reply[])[0].v as Reply[])[0].v);
      const args = [eventId, 'keepers', '1', 'keeper-1', '60000', jobId, type, 'worker', 'w1', attempt, '1', '0', 'out', '', '5'];
      return c.run('EVAL', body, '5', `sut:job:${jobId}`, 'sut:running', `sut:running:${jobId}`, 'sut:translog', 'sut:events', ...args);
    };
    expect(ev(apply, 't1-0', 'running', '1')).toEqual(bulks(['applied', 'ok', 'queued', 'running']));
    expect(c.run('HGET', 'sut:job:t1-0', 'updatedAt')).toEqual(bulk(String(clock.now))); // TIME is the virtual clock
    expect(c.run('PTTL', 'sut:running:t1-0')).toEqual(int(60000));
    expect(ev(apply, 't1-0', 'completed', '1')).toEqual(bulks(['applied', 'ok', 'running', 'completed']));
    expect(ev(apply, 't1-0', 'running', '2')).toEqual(bulks(['ignored', 'stale-terminal', 'completed', 'completed']));
    expect(ev(apply, 'ghost', 'failed', '1')).toEqual(bulks(['ignored', 'unknown-job', 'none', 'none']));
    expect(c.run('XPENDING', 'sut:events', 'keepers')).toEqual(array([int(0), NIL, NIL, NIL_ARRAY]));
    expect(c.run('XLEN', 'sut:translog')).toEqual(int(4));
    // the planted last-writer-wins variant lets the late running event overwrite completed
    expect(ev(lww, 't1-0', 'running', '3')).toEqual(bulks(['applied', 'ok', 'completed', 'running']));
    expect(c.run('SMEMBERS', 'sut:running')).toEqual(bulks(['t1-0']));
  });
});

describe('transactions and pub/sub', () => {
  it('aborts EXEC after a queueing error, runs errors inside EXEC, and refuses commands in subscribe mode', () => {
    const { conn } = setup();
    const [a, b] = [conn(), conn()];
    a.run('MULTI');
    expect(a.run('SET', 'k', 'v')).toEqual(status('QUEUED'));
    expect(a.run('GET')).toEqual(error("ERR wrong number of arguments for 'get' command"));
    expect(a.run('EXEC')).toEqual(error('EXECABORT Transaction discarded because of previous errors.'));
    a.run('SET', 's', 'x');
    a.run('MULTI');
    a.run('XADD', 's', '*', 'f', 'v');
    a.run('INCR', 'n');
    expect(a.run('EXEC')).toEqual(array([error('WRONGTYPE Operation against a key holding the wrong kind of value'), int(1)]));
    expect(b.run('SUBSCRIBE', 'c1', 'c2')).toBe('pushed-only');
    expect(b.pushed()).toEqual([array([bulk('subscribe'), bulk('c1'), int(1)]), array([bulk('subscribe'), bulk('c2'), int(2)])]);
    expect(b.run('GET', 'k')).toEqual(error("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"));
    expect(a.run('PUBLISH', 'c2', 'hi')).toEqual(int(1));
    expect(b.pushed()).toEqual([array([bulk('message'), bulk('c2'), bulk('hi')])]);
  });
});

describe('determinism', () => {
  it('gives identical replies and pushes for the same calls on the same clock', () => {
    const script = lua('apply-event.lua');
    const runOnce = () => {
      const { sim, conn, at } = setup({ start: 1_000 });
      const log: string[] = [];
      sim.onPush = (id, r) => log.push(`push ${id} ${JSON.stringify(r)}`);
      const [a, b, c] = [conn(), conn(), conn()];
      a.run('XGROUP', 'CREATE', 'sut:events', 'keepers', '$', 'MKSTREAM');
      for (let i = 0; i < 50; i++) {
        at(1_000 + i * 13.7);
        log.push(JSON.stringify(b.run('XREADGROUP', 'GROUP', 'keepers', `k${i % 3}`, 'COUNT', '2', 'BLOCK', '20', 'STREAMS', 'sut:events', '>')));
        log.push(JSON.stringify(c.run('XADD', 'sut:events', '*', 'jobId', `j${i % 4}`, 'type', 'running')));
        log.push(JSON.stringify(c.run('HSET', `sut:job:j${i % 4}`, 'state', 'queued')));
        log.push(JSON.stringify(a.run('EVAL', script, '5', `sut:job:j${i % 4}`, 'sut:running', `sut:running:j${i % 4}`, 'sut:translog', 'sut:events', `${i}-0`, 'keepers', '1', 'k', '50', `j${i % 4}`, 'running', 'w', 'w1', '1', '1', '', '', '', '')));
        log.push(JSON.stringify(a.run('XAUTOCLAIM', 'sut:events', 'keepers', 'k9', '10', '0-0', 'COUNT', '3')));
        log.push(JSON.stringify(a.run('SCAN', '0', 'MATCH', 'sut:*')));
      }
      at(10_000);
      log.push(JSON.stringify(a.run('XRANGE', 'sut:translog', '-', '+')));
      return log;
    };
    expect(runOnce()).toEqual(runOnce());
  });
});

describe('ioredis through the in-memory connector', () => {
  it('connects with a password and a name, pipelines, and falls back to EVAL after a restart empties the script cache', async () => {
    const sim = new SimRedis({ now: () => 1_700_000_000_000, password: 'pw' });
    const opts = simConnectorFor(sim);
    const r = new Redis({ ...opts, password: 'pw', connectionName: 'keeper-1', maxRetriesPerRequest: null, retryStrategy: () => 1 });
    const errors: string[] = [];
    r.on('error', (e: Error) => errors.push(e.message));
    try {
      expect(await r.client('GETNAME')).toBe('keeper-1');
      r.defineCommand('bump', { numberOfKeys: 1, lua: 'return redis.call("INCR", KEYS[1])' });
      const bump = (r as unknown as { bump(k: string): Promise<number> }).bump.bind(r);
      expect(await bump('n')).toBe(1);
      const replies = await r.pipeline().incr('n').xadd('s', '*', 'a', 'b').hset('h', 'f', 'v').exec();
      expect(replies).toEqual([[null, 2], [null, '1700000000000-0'], [null, 1]]);
      sim.restart();
      await new Promise((res) => r.once('ready', res));
      expect(errors).toContain('read ECONNRESET');
      expect(await bump('n')).toBe(3); // NOSCRIPT, then EVAL: same answer
      expect(await r.client('GETNAME')).toBe('keeper-1');
      expect(await r.quit()).toBe('OK');
    } finally {
      r.disconnect();
    }
  });

  it('lets a scheduler hold commands and release them in its own order, and cut a link', async () => {
    const sim = new SimRedis({ now: () => 0 });
    const held: Array<{ link: SimLink; argv: string[] }> = [];
    let hold = false;
    const policy: DeliveryPolicy = {
      deliver(link, argv) {
        if (hold) held.push({ link, argv });
        else {
          const r = sim.exec(link.conn, argv);
          if (typeof r === 'object') link.reply(r);
        }
      },
    };
    const opts = simConnectorFor(sim, policy);
    const a = new Redis({ ...opts, maxRetriesPerRequest: null, retryStrategy: () => 1 });
    const b = new Redis({ ...opts, maxRetriesPerRequest: null, retryStrategy: () => 1 });
    a.on('error', () => undefined);
    try {
      await Promise.all([a.ping(), b.ping()]);
      hold = true;
      const first = a.set('k', 'from-a');
      const second = b.set('k', 'from-b');
      await new Promise((res) => setImmediate(res));
      expect(held.map((h) => h.argv)).toEqual([['set', 'k', 'from-a'], ['set', 'k', 'from-b']]);
      // the scheduler runs b's command first
      for (const h of [held[1], held[0]]) h.link.reply(sim.exec(h.link.conn, h.argv) as Reply);
      await Promise.all([first, second]);
      hold = false;
      expect(await b.get('k')).toBe('from-a');
      // a socket reset: ioredis sees the error, reconnects on a new engine connection
      const before = opts.transport.openLinks().length;
      const reconnected = new Promise((res) => a.once('ready', res));
      opts.transport.openLinks()[0].cut();
      await reconnected;
      expect(opts.transport.openLinks().length).toBe(before);
      expect(await a.get('k')).toBe('from-a');
      // a blocked BRPOP is served when another client pushes
      const popped = a.brpop('q', 0);
      await new Promise((res) => setImmediate(res));
      await b.lpush('q', 'job');
      expect(await popped).toEqual(['q', 'job']);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });
});

describe('speed', () => {
  it('runs plain commands and EVALSHA of apply-event.lua fast enough for thousands of runs a minute', () => {
    const { sim, conn, clock } = setup({ start: 1_700_000_000_000 });
    const c = conn();
    const n = 100_000;
    let t0 = performance.now();
    for (let i = 0; i < n; i++) {
      clock.now += 0.01;
      sim.exec(c.id, ['HSET', `h${i % 100}`, 'f', String(i)]);
      sim.exec(c.id, ['XADD', 's', '*', 'i', String(i)]);
    }
    const perSecond = Math.round((2 * n) / ((performance.now() - t0) / 1000));
    const sha = String((c.run('SCRIPT', 'LOAD', lua('apply-event.lua')) as Reply).v);
    c.run('XGROUP', 'CREATE', 'sut:events', 'keepers', '0', 'MKSTREAM');
    const m = 5_000;
    t0 = performance.now();
    for (let i = 0; i < m; i++) {
      const j = `j${i % 50}`;
      if (i % 3 === 0) sim.exec(c.id, ['HSET', `sut:job:${j}`, 'state', 'queued']);
      const r = sim.exec(c.id, ['EVALSHA', sha, '5', `sut:job:${j}`, 'sut:running', `sut:running:${j}`, 'sut:translog', 'sut:events', `${i}-1`, 'keepers', '1', 'k1', '60000', j, i % 2 ? 'completed' : 'running', 'worker', 'w1', '1', '1', '0', 'out', '', '3']);
      expect(r).toMatchObject({ t: 'array' });
    }
    const evalsPerSecond = Math.round(m / ((performance.now() - t0) / 1000));
    console.log(`speed: ${perSecond} commands/s through exec, ${evalsPerSecond} EVALSHA apply-event.lua/s`);
    expect(perSecond).toBeGreaterThan(20_000);
    expect(evalsPerSecond).toBeGreaterThan(500);
  });
});
