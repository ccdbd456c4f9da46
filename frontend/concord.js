// Concord's scripts: the GOV.UK and MoJ components on every page. The build copies both
// packages' self-contained ES module bundles next to this file.
import { initAll as initGovuk } from './govuk-frontend.min.js'
import { FilterToggleButton, initAll as initMoj } from './moj-frontend.min.js'

initGovuk()
initMoj()

// MoJ's initAll leaves out the filter's show and hide button: start it for each list.
for (const $filter of document.querySelectorAll('[data-module="moj-filter"]')) {
  new FilterToggleButton($filter) // eslint-disable-line no-new
}

// Downloads: a long list takes a while to write, and the browser shows nothing until the
// file arrives. Say that it is being prepared, count the seconds, and say when it has come:
// the server sets the concord_download cookie to the token the link carried once the file
// is ready to send.
const COOKIE = 'concord_download'

function cookieValue (name) {
  const found = document.cookie.split('; ').find((part) => part.startsWith(`${name}=`))
  return found ? decodeURIComponent(found.slice(name.length + 1)) : null
}

for (const $link of document.querySelectorAll('a[download][href*="export=xlsx"]')) {
  const $status = document.createElement('p')
  $status.className = 'govuk-body concord-download-status'
  $status.setAttribute('role', 'status')
  $link.closest('p, div').after($status)
  let timer = null
  $link.addEventListener('click', () => {
    const token = `${Date.now()}${Math.random().toString(36).slice(2, 8)}`
    const url = new URL($link.href, window.location.href)
    url.searchParams.set('download_token', token)
    $link.href = url.toString()
    const started = Date.now()
    $status.textContent = 'Preparing the spreadsheet. A long list can take a little while.'
    window.clearInterval(timer)
    timer = window.setInterval(() => {
      const seconds = Math.round((Date.now() - started) / 1000)
      if (cookieValue(COOKIE) === token) {
        window.clearInterval(timer)
        document.cookie = `${COOKIE}=; Max-Age=0; Path=/; SameSite=Lax`
        $status.textContent = `The spreadsheet is ready (it took ${seconds} seconds): your browser is saving it.`
      } else if (seconds >= 3) {
        $status.textContent = `Preparing the spreadsheet: ${seconds} seconds so far. A long list can take a little while.`
      }
    }, 1000)
  })
}
