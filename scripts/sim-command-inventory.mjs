// Which Redis commands BullMQ, Bull and bee-queue can send, and which of them the simulated
// Redis (harness/sim/redis) does not have.
//
//   npx tsx scripts/sim-command-inventory.mjs          (tsx: it imports the engine's .ts)
//   npx tsx scripts/sim-command-inventory.mjs --json   (the whole inventory as JSON)
//
// Read statically from the installed packages (node_modules):
// - Lua: bullmq's dist/esm/commands/**/*.lua (includes too), bull's lib/commands/**/*.lua,
//   bee-queue's lib/lua/*.lua. Every redis.call / redis.pcall, and every call through an
//   alias of them (`local rcall = redis.call`), whose first argument is a string literal. A call
//   whose command is a variable (`rcall(pushCmd, ...)`, `rcall(command, ...)`, bull's
//   `rcall(ARGV[10], ...)`) is listed as such, and the all-capitals string literals of that
//   file that name a Redis command are taken as what it may call (bullmq writes
//   `local pushCmd = lifo and 'RPUSH' or 'LPUSH'`, `scanCommand = "HSCAN"`); bull's ARGV
//   commands come from its JavaScript, read below.
// - JavaScript: bullmq's dist/esm (its ioredis, node-redis and bun adapters included), bull's
//   lib, bee-queue's lib (and node-resque's dist, the harness's fourth example library): `.name(` method calls whose name is a Redis command (node-redis's
//   camelCase `hGetAll` read as HGETALL) on a receiver that looks like a client, a MULTI or a
//   pipeline (client, redis, multi, pipeline, batch, raw, conn..., or a chained `)`),
//   `call('NAME'`, `sendCommand('NAME'` / `sendCommand(['NAME'`, `send_command('name'`, and
//   string literals handed to Lua scripts as commands (`'LPUSH'`/`'RPUSH'` next to `lifo`).
// A container command's subcommand is read from the literal that follows it (CLIENT SETNAME,
// SCRIPT LOAD, XINFO STREAM ...). Static reading over-approximates (a method named like a
// command on some other object may slip in; every name lists where it was seen, to check)
// and can miss a command built at run time from data.
//
// The simulation's commands are read from a SimRedis instance (its command table, and each
// container's subcommands). The Redis 7.0 command names below are `COMMAND LIST` of
// redis-server 7.0.15.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimRedis } from '../harness/sim/redis/engine.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nm = path.join(root, 'node_modules');

const REDIS_70 = `ACL APPEND ASKING AUTH BGREWRITEAOF BGSAVE BITCOUNT BITFIELD BITFIELD_RO BITOP BITPOS BLMOVE BLMPOP BLPOP
BRPOP BRPOPLPUSH BZMPOP BZPOPMAX BZPOPMIN CLIENT CLUSTER COMMAND CONFIG COPY DBSIZE DEBUG DECR DECRBY DEL DISCARD DUMP ECHO
EVAL EVALSHA EVALSHA_RO EVAL_RO EXEC EXISTS EXPIRE EXPIREAT EXPIRETIME FAILOVER FCALL FCALL_RO FLUSHALL FLUSHDB FUNCTION
GEOADD GEODIST GEOHASH GEOPOS GEORADIUS GEORADIUSBYMEMBER GEORADIUSBYMEMBER_RO GEORADIUS_RO GEOSEARCH GEOSEARCHSTORE GET
GETBIT GETDEL GETEX GETRANGE GETSET HDEL HELLO HEXISTS HGET HGETALL HINCRBY HINCRBYFLOAT HKEYS HLEN HMGET HMSET HRANDFIELD
HSCAN HSET HSETNX HSTRLEN HVALS INCR INCRBY INCRBYFLOAT INFO KEYS LASTSAVE LATENCY LCS LINDEX LINSERT LLEN LMOVE LMPOP
LOLWUT LPOP LPOS LPUSH LPUSHX LRANGE LREM LSET LTRIM MEMORY MGET MIGRATE MODULE MONITOR MOVE MSET MSETNX MULTI OBJECT
PERSIST PEXPIRE PEXPIREAT PEXPIRETIME PFADD PFCOUNT PFDEBUG PFMERGE PFSELFTEST PING PSETEX PSUBSCRIBE PSYNC PTTL PUBLISH
PUBSUB PUNSUBSCRIBE QUIT RANDOMKEY READONLY READWRITE RENAME RENAMENX REPLCONF REPLICAOF RESET RESTORE RESTORE-ASKING ROLE
RPOP RPOPLPUSH RPUSH RPUSHX SADD SAVE SCAN SCARD SCRIPT SDIFF SDIFFSTORE SELECT SET SETBIT SETEX SETNX SETRANGE SHUTDOWN
SINTER SINTERCARD SINTERSTORE SISMEMBER SLAVEOF SLOWLOG SMEMBERS SMISMEMBER SMOVE SORT SORT_RO SPOP SPUBLISH SRANDMEMBER
SREM SSCAN SSUBSCRIBE STRLEN SUBSCRIBE SUBSTR SUNION SUNIONSTORE SUNSUBSCRIBE SWAPDB SYNC TIME TOUCH TTL TYPE UNLINK
UNSUBSCRIBE UNWATCH WAIT WATCH XACK XADD XAUTOCLAIM XCLAIM XDEL XGROUP XINFO XLEN XPENDING XRANGE XREAD XREADGROUP
XREVRANGE XSETID XTRIM ZADD ZCARD ZCOUNT ZDIFF ZDIFFSTORE ZINCRBY ZINTER ZINTERCARD ZINTERSTORE ZLEXCOUNT ZMPOP ZMSCORE
ZPOPMAX ZPOPMIN ZRANDMEMBER ZRANGE ZRANGEBYLEX ZRANGEBYSCORE ZRANGESTORE ZRANK ZREM ZREMRANGEBYLEX ZREMRANGEBYRANK
ZREMRANGEBYSCORE ZREVRANGE ZREVRANGEBYLEX ZREVRANGEBYSCORE ZREVRANK ZSCAN ZSCORE ZUNION ZUNIONSTORE`;
const COMMANDS = new Set(REDIS_70.split(/\s+/).filter(Boolean));
const CONTAINERS = new Set(['ACL', 'CLIENT', 'CLUSTER', 'COMMAND', 'CONFIG', 'FUNCTION', 'LATENCY', 'MEMORY', 'MODULE', 'OBJECT', 'PUBSUB', 'SCRIPT', 'SLOWLOG', 'XGROUP', 'XINFO']);

/** name → Map(lib:file → count) */
const uses = new Map();
const note = (name, where) => {
  let m = uses.get(name);
  if (!m) uses.set(name, (m = new Map()));
  m.set(where, (m.get(where) ?? 0) + 1);
};
/** a command and, for a container, the literal subcommand after it */
const record = (cmd, sub, where) => {
  const name = cmd.toUpperCase();
  if (!COMMANDS.has(name)) return;
  if (CONTAINERS.has(name) && sub && /^[A-Za-z-]+$/.test(sub)) note(`${name}|${sub.toUpperCase()}`, where);
  else note(name, where);
};

const files = (dir, ext) => {
  try {
    return readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith(ext))
      .map((e) => path.join(e.parentPath, e.name));
  } catch {
    return [];
  }
};
const rel = (f) => path.relative(nm, f);

// ---- Lua ----------------------------------------------------------------------------------

const LUA_DIRS = [path.join(nm, 'bullmq/dist/esm/commands'), path.join(nm, 'bull/lib/commands'), path.join(nm, 'bee-queue/lib/lua')];
const variableCalls = [];
for (const file of LUA_DIRS.flatMap((d) => files(d, '.lua'))) {
  const src = readFileSync(file, 'utf8').replace(/--\[\[[\s\S]*?\]\]/g, '').replace(/--[^\n]*/g, '');
  const aliases = new Set(['redis.call', 'redis.pcall']);
  for (const m of src.matchAll(/local\s+([A-Za-z_]\w*)\s*=\s*redis\.p?call\b/g)) aliases.add(m[1]);
  const callee = [...aliases].map((a) => a.replace('.', '\\.')).join('|');
  const re = new RegExp(`(?<![\\w.])(?:${callee})\\s*\\(\\s*([^,)]+)(?:,\\s*([^,)]+))?`, 'g');
  let variable = false;
  for (const m of src.matchAll(re)) {
    const first = m[1].trim();
    const lit = /^(['"])(.*)\1$/.exec(first);
    const sub = m[2] ? /^(['"])(.*)\1$/.exec(m[2].trim())?.[2] : undefined;
    if (lit) record(lit[2], sub, rel(file));
    else {
      variable = true;
      variableCalls.push(`${rel(file)}: ${m[0].replace(/\s+/g, ' ')}`);
    }
  }
  if (variable) {
    for (const m of src.matchAll(/(['"])([A-Z][A-Z_]+)\1/g)) if (COMMANDS.has(m[2])) record(m[2], undefined, `${rel(file)} (as a variable)`);
  }
}

// ---- JavaScript ---------------------------------------------------------------------------

// (and node-resque's dist, which the harness's examples also run on)
const JS_DIRS = [path.join(nm, 'bullmq/dist/esm'), path.join(nm, 'bull/lib'), path.join(nm, 'bee-queue/lib'), path.join(nm, 'node-resque/dist')];
const CLIENTISH = /(client|redis|multi|pipeline|pipe|batch|raw|conn|connection|transaction|tx|subscriber)$/i;
// after a chained `)` these names are more often JavaScript's own methods (Array#sort, Map#get ...)
const JS_OWN = new Set(['SORT', 'KEYS', 'GET', 'SET', 'EXEC', 'APPEND', 'TYPE', 'TIME', 'COPY', 'MOVE', 'WAIT', 'DUMP', 'ECHO', 'SELECT', 'RESET', 'SAVE', 'SYNC', 'SUBSTR', 'INFO', 'EXISTS', 'DEL']);
for (const file of JS_DIRS.flatMap((d) => files(d, '.js'))) {
  if (file.includes(`${path.sep}commands${path.sep}`) || file.includes(`bullmq${path.sep}dist${path.sep}esm${path.sep}scripts${path.sep}`)) continue; // the Lua, again
  const src = readFileSync(file, 'utf8');
  const where = rel(file);
  for (const m of src.matchAll(/([\w$]+|\))\s*\.\s*([a-zA-Z]+)\s*\(\s*(?:(['"])([A-Za-z-]+)\3)?/g)) {
    const name = m[2].toUpperCase();
    if (!COMMANDS.has(name)) continue;
    const recv = m[1];
    if (recv === ')' ? JS_OWN.has(name) : !CLIENTISH.test(recv)) continue;
    if (name === 'MULTI' || name === 'EXEC' || !CONTAINERS.has(name) || m[4]) record(name, m[4], where);
  }
  for (const m of src.matchAll(/\b(?:call|sendCommand|send_command|callBuffer)\s*\(\s*\[?\s*(['"])([A-Za-z_-]+)\1(?:\s*,\s*(?:\[\s*)?(['"])([A-Za-z-]+)\3)?/g)) {
    record(m[2], m[4], where);
  }
  // commands a script is told to run (bull's rcall(ARGV[10], ...)): 'LPUSH' / 'RPUSH' chosen by lifo
  for (const m of src.matchAll(/lifo[^;\n]*?(['"])([LR]PUSH)\1[^;\n]*?(['"])([LR]PUSH)\3/gi)) {
    record(m[2], undefined, `${where} (a script's command argument)`);
    record(m[4], undefined, `${where} (a script's command argument)`);
  }
}

// ---- the simulation's table -----------------------------------------------------------------

const sim = new SimRedis({ now: () => 0 });
const table = sim['commands'];
const have = new Set();
for (const [name, spec] of Object.entries(table)) {
  have.add(name.toUpperCase());
  for (const sub of Object.keys(spec.subcommands ?? {})) have.add(`${name.toUpperCase()}|${sub.toUpperCase()}`);
}

const libOf = (where) => where.split(path.sep)[0];
const rows = [...uses.keys()].sort().map((name) => {
  const by = uses.get(name);
  return { name, inSim: have.has(name), libs: [...new Set([...by.keys()].map(libOf))].sort(), where: Object.fromEntries([...by].sort()) };
});

if (process.argv.includes('--json')) {
  process.stdout.write(JSON.stringify({ commands: rows, variableCalls }, null, 2) + '\n');
} else {
  const missing = rows.filter((r) => !r.inSim);
  process.stdout.write(`${rows.length} commands the libraries can send; the simulation has ${rows.length - missing.length}.\n\n`);
  process.stdout.write(`calls whose command is a variable (their candidates are counted above):\n${variableCalls.map((l) => `  ${l}`).join('\n')}\n\n`);
  process.stdout.write(`in the simulation: ${rows.filter((r) => r.inSim).map((r) => r.name).join(' ')}\n\n`);
  process.stdout.write(`missing from the simulation (${missing.length}):\n`);
  for (const r of missing) {
    const places = Object.entries(r.where).slice(0, 3).map(([w, n]) => `${w}${n > 1 ? ` ×${n}` : ''}`);
    const more = Object.keys(r.where).length - places.length;
    process.stdout.write(`  ${r.name.padEnd(18)} [${r.libs.join(', ')}] ${places.join('; ')}${more > 0 ? `; +${more} more` : ''}\n`);
  }
}
