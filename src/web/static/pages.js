// What the pages do with script, each an extra: every page works without it. Loaded as a file of ours,
// so the CSP keeps `script-src 'self'` and allows no inline code.

// The composer's remaining-characters counter (the field's maxlength and the server hold the limit).
const field = document.getElementById('text');
const hint = document.getElementById('text-limit');
if (field && hint) {
  const limit = Number(hint.dataset.limit);
  const show = () => {
    const left = limit - field.value.length;
    hint.textContent = `${left.toLocaleString('en')} of ${limit.toLocaleString('en')} characters left.`;
  };
  field.addEventListener('input', show);
  show();
}

// Dates as how long ago, for a day; the page sends the original's UTC date, which stays the title. Done
// here, not on the server, so that a page kept in the read cache never shows a stale "5 min ago".
const now = Date.now();
for (const time of document.querySelectorAll('ul.messages time[datetime]')) {
  const shown = time.querySelector('small');
  const minutes = Math.floor((now - Date.parse(time.getAttribute('datetime'))) / 60_000);
  if (!shown || minutes < 0 || minutes >= 24 * 60) continue;
  const ago =
    minutes < 1 ? 'just now' : minutes < 60 ? `${minutes} min ago` : `${Math.floor(minutes / 60)} h ago`;
  shown.textContent = `\u2014 ${ago}`;
}
