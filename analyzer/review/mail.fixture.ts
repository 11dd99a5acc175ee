// Patch mails for the review tests, as `git format-patch` writes them.

/** One patch mail, `[PATCH] subject`. */
export function patchMail(subject: string, diff: string): string {
  return [
    'From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001',
    'From: Mallory <mallory@example.org>',
    'Message-ID: <1@example.org>',
    `Subject: [PATCH] ${subject}`,
    '',
    'Text.',
    '---',
    diff,
    '-- ',
    '2.39.5',
    '',
  ].join('\n');
}

/** A series: one mail a diff, numbered k/n, each with a Message-ID of its own. */
export function seriesMbox(diffs: string[], subject = (k: number, n: number) => `${k}/${n} part`): string {
  return diffs.map((d, i) => patchMail(subject(i + 1, diffs.length), d)
    .replace('[PATCH]', `[PATCH ${i + 1}/${diffs.length}]`).replace('<1@', `<${i + 1}@`)).join('\n');
}
