// A real Urbit client against a running ship: logs in with the ship's +code, scries JSON over
// /~/scry, pokes hood with %helm-hi, subscribes over the channel API and waits for an event.
// Usage: node client.mjs URL SHIP CODE   (prints one JSON line of what it saw; exits 1 on failure)
// @urbit/http-api 2.3 (the release of the pill's era) reads fetch from `window` for its event stream;
// node has no window, so it is given one that is only that (no document: the library stays in node mode).
globalThis.window = { fetch: (...args) => globalThis.fetch(...args) };
const { Urbit } = await import('@urbit/http-api');

const [url, ship, code] = process.argv.slice(2);
const seen = { login: false, scry: null, poke: false, subscribed: false, event: null };
const fail = (why) => {
  console.log(JSON.stringify({ ...seen, error: String(why) }));
  process.exit(1);
};
setTimeout(() => fail('timed out'), 60_000);

try {
  const api = await Urbit.authenticate({ ship, url, code, verbose: false });
  seen.login = true;
  seen.scry = await api.scry({ app: 'hood', path: '/kiln/pikes' });
  // The dojo's terminal through herm (as the web terminal watches it): a fact comes once a key is typed.
  const event = new Promise((resolve, reject) => {
    api
      .subscribe({
        app: 'herm',
        path: '/session//view',
        event: (data) => resolve(data),
        err: (e) => reject(new Error(`subscription refused: ${e}`)),
        quit: () => reject(new Error('kicked')),
      })
      .then(() => { seen.subscribed = true; }, reject);
  });
  await api.poke({ app: 'hood', mark: 'helm-hi', json: 'from @urbit/http-api' });
  seen.poke = true;
  // A key typed at the dojo's prompt, then erased (the prompt is left as it was).
  await api.poke({ app: 'herm', mark: 'herm-task', json: { session: '', belt: { txt: ['a'] } } });
  await api.poke({ app: 'herm', mark: 'herm-task', json: { session: '', belt: { bac: null } } });
  const data = await event;
  seen.event = Object.keys(data).slice(0, 4);
  console.log(JSON.stringify(seen));
  api.delete();
  process.exit(0);
} catch (e) {
  fail(e && e.stack ? e.stack : e);
}
