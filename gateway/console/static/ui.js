// What every view shares: the error banner and a button that is busy while its action runs.

const banner = () => document.getElementById("error");

/** Show an API error (or any error) as a readable message; never a blank page. */
export function showError(err) {
  const el = banner();
  el.textContent = err && err.message ? err.message : String(err);
  el.hidden = false;
}

export function clearError() {
  banner().hidden = true;
}

/** Run ``action`` with ``button`` disabled; errors go to the banner. */
export async function busy(button, action) {
  button.disabled = true;
  clearError();
  try {
    return await action();
  } catch (err) {
    showError(err);
    return undefined;
  } finally {
    button.disabled = false;
  }
}
