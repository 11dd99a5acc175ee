// What a patch mail's subject says about its place in a series, read the way
// b4 reads it: "[PATCH v3 2/5] x", "[RFC PATCH net-next 0/7] y", "[PATCH] z".
// A reply ("Re: [PATCH ...]") is discussion, not a patch.

export interface SubjectTag {
  version: number;
  /** 0 for a cover letter */
  index: number;
  total: number;
  /** the subject without its tags, for telling the versions of one series apart */
  title: string;
}

const TAG = /^\s*\[([^\]]*)\]\s*/;

export function subjectTag(subject: string): SubjectTag | null {
  if (/^\s*(re|aw|fwd?)\s*:/i.test(subject)) return null;
  let rest = subject;
  let words: string[] = [];
  let patch = false;
  // several bracket groups happen ("[RFC][PATCH 1/2]"); their words count together
  for (let m = TAG.exec(rest); m; m = TAG.exec(rest)) {
    const w = m[1].split(/\s+/).filter(Boolean);
    if (w.some((x) => /^patch$/i.test(x))) patch = true;
    words = words.concat(w);
    rest = rest.slice(m[0].length);
  }
  if (!patch) return null;
  let version = 1;
  let index = 1;
  let total = 1;
  for (const w of words) {
    const v = /^v(\d{1,4})$/i.exec(w);
    if (v) version = Number(v[1]);
    const n = /^(\d{1,4})\/(\d{1,4})$/.exec(w);
    if (n) {
      index = Number(n[1]);
      total = Number(n[2]);
    }
  }
  if (total < 1 || index > total) return null;
  return { version, index, total, title: rest.trim().replace(/\s+/g, ' ') };
}
