// The page of work a task does for the person: a download being prepared
// (templates/consortium/download_status.html, #download-state) or an assurance pack being
// signed off (templates/contracts/pack_signing.html, #signing-state). While that element carries
// data-refresh, read the page again every few seconds and bring the
// progress bar and its words up to date, in place (the words are a status region, so screen
// readers hear them); once the file is ready or has failed, show that and move focus to its
// heading. Without script the page keeps its "Update the progress" link. No reload: the page does
// not jump, and nothing is announced twice.
const $state = document.querySelector('#download-state, #signing-state')

async function poll () {
  let $new = null
  try {
    const response = await fetch(window.location.href, { credentials: 'same-origin' })
    if (response.ok) {
      const page = new DOMParser().parseFromString(await response.text(), 'text/html')
      $new = page.getElementById($state.id)
    }
  } catch (error) {
    $new = null // offline for a moment: try again at the next turn
  }
  if ($new && $new.dataset.refresh) {
    for (const selector of ['progress', '[role="status"]', 'label']) {
      const $old = $state.querySelector(selector)
      const $fresh = $new.querySelector(selector)
      if ($old && $fresh && $old.textContent !== $fresh.textContent) {
        $old.textContent = $fresh.textContent
      }
      if ($old && $fresh && selector === 'progress') $old.value = Number($fresh.getAttribute('value'))
    }
  } else if ($new) {
    $state.innerHTML = $new.innerHTML
    delete $state.dataset.refresh
    const $heading = $state.querySelector('h2')
    if ($heading) {
      $heading.tabIndex = -1
      $heading.focus()
    }
    return
  }
  window.setTimeout(poll, Number($state.dataset.refresh) * 1000)
}

if ($state && $state.dataset.refresh) {
  window.setTimeout(poll, Number($state.dataset.refresh) * 1000)
}
