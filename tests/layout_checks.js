// What a person trips over on a page, as short texts by kind; run by
// tests/test_accessibility.py with `phone` true at 360 px.
(phone) => {
  const problems = {sideways: [], radio_label: [], pill: [], required: [], target: []};
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
    const classes = typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().replace(/\s+/g, '.') : '';
    return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${classes} "${text.slice(0, 40)}"`;
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  const labelOf = (input) =>
    input.closest('label') || (input.id && document.querySelector(`label[for="${input.id}"]`));
  const lineCount = (el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = [];
    for (const r of range.getClientRects()) {
      if (r.width > 0 && !tops.some((t) => Math.abs(t - r.top) < r.height / 2)) tops.push(r.top);
    }
    return tops.length;
  };
  const overlap = (a, b) => Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);

  // The page itself never scrolls sideways; a region that does must be one the keyboard
  // reaches and a screen reader names.
  const root = document.scrollingElement;
  if (phone && root.scrollWidth > root.clientWidth) {
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => visible(el) && el.getBoundingClientRect().right > root.clientWidth + 1)
      .slice(0, 3).map(describe);
    problems.sideways.push(
      `page is ${root.scrollWidth}px wide for ${root.clientWidth}px: ${wide.join('; ')}`);
  }
  for (const el of document.querySelectorAll('body *')) {
    if (el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') continue;
    const scrolls = ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
    if (!scrolls || el.scrollWidth <= el.clientWidth + 1) continue;
    const region = el.classList.contains('table-wrap') && el.getAttribute('tabindex') === '0'
      && el.getAttribute('role') === 'region'
      && (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'));
    if (!region) {
      problems.sideways.push(`scrolls sideways but is no labelled, focusable region: ${describe(el)}`);
    }
  }

  // A radio button and its label on one line: the first line of the label's text shares
  // the button's line.
  for (const input of document.querySelectorAll('input[type=radio], input[type=checkbox]')) {
    const label = labelOf(input);
    if (!visible(input) || !label || !visible(label)) continue;
    const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
    let first = null;
    for (let node = walker.nextNode(); node && !first; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      first = [...range.getClientRects()].find((r) => r.width > 0) || null;
    }
    const box = input.getBoundingClientRect();
    if (first && overlap(box, first) < box.height / 2) {
      problems.radio_label.push(`${describe(input)} is not beside its label ${describe(label)}`);
    }
  }

  // Status pills on one line.
  for (const pill of document.querySelectorAll('.badge')) {
    if (visible(pill) && lineCount(pill) > 1) {
      problems.pill.push(`${describe(pill)} wraps onto ${lineCount(pill)} lines`);
    }
  }

  // The required mark beside its label, and explained once in its form.
  for (const mark of document.querySelectorAll('.req')) {
    const field = mark.closest('.field');
    const label = field && field.querySelector('label, legend');
    if (label && visible(mark)
        && overlap(label.getBoundingClientRect(), mark.getBoundingClientRect()) <= 0) {
      problems.required.push(`the * of ${describe(label)} is not on the label's line`);
    }
    const form = mark.closest('form');
    if (form && !form.querySelector('.required-note')) {
      problems.required.push(`form ${form.getAttribute('action') || ''} does not say what * means`);
    }
  }

  // On a phone, radio buttons (with their label) are targets at least 44 px tall.
  if (phone) {
    for (const input of document.querySelectorAll('input[type=radio]')) {
      if (!visible(input)) continue;
      const label = labelOf(input);
      const target = label && label.contains(input) ? label : input;
      const height = target.getBoundingClientRect().height;
      if (height < 43.5) {
        problems.target.push(`${describe(label || input)} is ${Math.round(height)}px tall`);
      }
    }
  }
  for (const kind of Object.keys(problems)) problems[kind] = [...new Set(problems[kind])];
  return problems;
}
