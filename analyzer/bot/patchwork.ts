// Patchwork's checks API (REST 1.1): the patch is found by its Message-ID,
// then `POST /api/1.1/patches/{id}/checks/` with context "callorder". A check
// that was being posted when the bot died is looked for among the patch's
// checks before it is posted again, so a restart does not post it twice.

export interface Patchwork {
  url: string;
  token: string;
  project?: string;
}

export interface Check {
  state: 'success' | 'warning' | 'fail';
  description: string;
  target_url?: string;
}

export const CONTEXT = 'callorder';
const TIMEOUT_MS = 30_000;

async function call(pw: Patchwork, method: 'GET' | 'POST', pathAndQuery: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${pw.url}${pathAndQuery}`, {
    method,
    headers: { Accept: 'application/json', Authorization: `Token ${pw.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`patchwork ${method} ${pathAndQuery.split('?')[0]}: HTTP ${res.status}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`patchwork ${method} ${pathAndQuery.split('?')[0]}: not JSON`);
  }
}

/** The patch's id, or null while patchwork does not have it. */
export async function patchId(pw: Patchwork, messageId: string): Promise<number | null> {
  const q = `msgid=${encodeURIComponent(messageId.replace(/^<|>$/g, ''))}${pw.project ? `&project=${encodeURIComponent(pw.project)}` : ''}`;
  const list = await call(pw, 'GET', `/api/1.1/patches/?${q}`);
  if (!Array.isArray(list) || !list.length) return null;
  const id = (list[0] as { id?: unknown }).id;
  return typeof id === 'number' ? id : null;
}

export async function hasCheck(pw: Patchwork, id: number, c: Check): Promise<boolean> {
  const list = await call(pw, 'GET', `/api/1.1/patches/${id}/checks/`);
  if (!Array.isArray(list)) return false;
  return list.some((x) => {
    const o = x as Record<string, unknown>;
    return o.context === CONTEXT && o.state === c.state && o.description === c.description;
  });
}

export async function postCheck(pw: Patchwork, id: number, c: Check): Promise<void> {
  await call(pw, 'POST', `/api/1.1/patches/${id}/checks/`, { ...c, context: CONTEXT });
}
