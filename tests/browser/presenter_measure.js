// What presenter mode must pass on the page as drawn now: every visible text at least `minPx` (HTML and the
// charts' SVG text), no button / label / selectbox value / metric cut short (scrollWidth > clientWidth) or
// broken inside a word across lines, and the caption over the page not under Streamlit's header.
(minPx) => {
  const small = [], cut = [], broken = [];
  const roots = [...document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebar"]')];
  const shown = el => el.checkVisibility({visibilityProperty: true, opacityProperty: true})
    && el.getClientRects().length > 0;
  const skip = el => el.closest('.modebar, .hoverlayer, [data-testid="stIconMaterial"], [data-testid="stTooltipIcon"],'
    + ' [data-testid="stDataFrame"], [role="tooltip"], .stTooltipContent');
  for (const root of roots) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement, text = node.textContent.trim();
      if (!text || !el || skip(el) || !shown(el)) continue;
      const px = parseFloat(getComputedStyle(el).fontSize);
      if (px < minPx - 0.01) small.push(`${px}px ${JSON.stringify(text.slice(0, 40))}`);
    }
    for (const input of root.querySelectorAll('input[type="text"], input:not([type]), textarea')) {
      if (shown(input) && input.value && input.scrollWidth > input.clientWidth + 1)
        cut.push(JSON.stringify(input.value.slice(0, 40)));
    }
    const boxes = root.querySelectorAll('button, [data-testid="stWidgetLabel"], [data-testid="stWidgetLabel"] *,'
      + ' [data-baseweb="select"] div, [data-testid="stMetricValue"], [data-testid="stMetricValue"] *,'
      + ' [data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *, button *');
    for (const el of boxes) {
      if (!shown(el) || skip(el) || !el.innerText || !el.innerText.trim()) continue;
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible')
        cut.push(JSON.stringify(el.innerText.trim().slice(0, 40)));
      for (const child of el.childNodes) {  // a word whose letters sit on two lines is broken mid-word
        if (child.nodeType !== Node.TEXT_NODE) continue;
        for (const match of child.textContent.matchAll(/\S+/g)) {
          const range = document.createRange();
          range.setStart(child, match.index);
          range.setEnd(child, match.index + match[0].length);
          const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
          if (tops.size > 1) broken.push(JSON.stringify(match[0]));
        }
      }
    }
  }
  const header = document.querySelector('[data-testid="stHeader"]');
  const caption = document.querySelector('[data-testid="stMain"] [data-testid="stCaptionContainer"]');
  const headerBottom = header ? header.getBoundingClientRect().bottom : 0;
  const captionTop = caption ? caption.getBoundingClientRect().top + window.scrollY : 1e9;
  // The key numbers: the smallest text inside any metric's value, to be larger than body text.
  const numbers = [...document.querySelectorAll('[data-testid="stMetricValue"] *, [data-testid="stMetricValue"]')]
    .filter(el => shown(el) && [...el.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim()))
    .map(el => parseFloat(getComputedStyle(el).fontSize));
  return {small: [...new Set(small)], cut: [...new Set(cut)], broken: [...new Set(broken)],
          captionUnderHeader: captionTop < headerBottom, headerBottom, captionTop,
          numberPx: numbers.length ? Math.min(...numbers) : null};
}
