/* The PCO Sync page's buttons: each calls the page's API (API, set before this) and
   reloads the page, telling what was done in #notice. */
async function call(path, body, method) {
  const box = document.getElementById('notice');
  const answer = await fetch(path, {method: method || 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
  let data = {};
  try { data = await answer.json(); } catch (e) {}
  if (!answer.ok) {
    box.className = 'notice error';
    box.textContent = (data.detail && (data.detail.message || data.detail)) || answer.statusText;
    box.hidden = false;
    return null;
  }
  sessionStorage.setItem('pco_sync_notice', data.message || 'Done.');
  location.reload();
  return data;
}
function selected(kind) {
  return Array.from(document.querySelectorAll('input.pick[data-kind="' + kind + '"]:checked'))
    .map(b => Number(b.value));
}
document.addEventListener('click', (event) => {
  const b = event.target.closest('button[data-action]');
  if (!b) return;
  const kind = b.dataset.kind, action = b.dataset.action;
  let ids = b.dataset.ids ? JSON.parse(b.dataset.ids) : selected(kind);
  if (!ids.length) { alert('Tick the items first.'); return; }
  const body = {kind: kind, action: action, ids: ids};
  if (b.dataset.input) body.value = document.getElementById(b.dataset.input).value;
  if (b.dataset.value) body.value = JSON.parse(b.dataset.value);
  if (b.dataset.confirm && !confirm(b.dataset.confirm)) return;
  call(API + '/act', body);
});
window.addEventListener('load', () => {
  const text = sessionStorage.getItem('pco_sync_notice');
  if (text) { const box = document.getElementById('notice');
    box.className = 'notice ok'; box.textContent = text; box.hidden = false;
    sessionStorage.removeItem('pco_sync_notice'); }
});
