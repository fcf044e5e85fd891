"""WCAG contrast of every visible text in a page, measured by the browser itself.

``CONTRAST_SCRIPT`` walks the DOM's text nodes and compares each one's computed colour
with the background it is drawn on: the first opaque ``background-color`` among the
element and its ancestors, with translucent layers above it blended in, over the canvas
colour of the page's colour scheme. Hidden text (``display:none``, ``visibility``,
``opacity: 0``, no box) is left out: it is not read. Text drawn over a background image
is reported apart, because a colour cannot tell its contrast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MINIMUM_CONTRAST = 4.5

CONTRAST_SCRIPT = r"""
(function () {
  function rgba(value) {
    var m = value.match(/rgba?\(([^)]+)\)/);
    if (!m) { return null; }
    var p = m[1].split(/[\s,\/]+/).filter(function (s) { return s.length; }).map(parseFloat);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function over(top, bottom) {
    var a = top[3];
    return [top[0] * a + bottom[0] * (1 - a), top[1] * a + bottom[1] * (1 - a), top[2] * a + bottom[2] * (1 - a), 1];
  }
  function luminance(c) {
    var l = c.slice(0, 3).map(function (v) {
      v = v / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
  }
  var probe = document.createElement('div');
  probe.style.backgroundColor = 'Canvas';
  document.documentElement.appendChild(probe);
  var canvas = rgba(getComputedStyle(probe).backgroundColor);
  probe.remove();
  function background(element) {
    var layers = [], image = false;
    for (var e = element; e; e = e.parentElement) {
      var style = getComputedStyle(e);
      if (style.backgroundImage && style.backgroundImage !== 'none') { image = true; }
      var color = rgba(style.backgroundColor);
      if (color && color[3] > 0) {
        layers.push(color);
        if (color[3] >= 1) { break; }
      }
    }
    var result = canvas;
    for (var i = layers.length - 1; i >= 0; i--) { result = over(layers[i], result); }
    return {color: result, image: image};
  }
  function describe(element) {
    var name = element.tagName.toLowerCase();
    if (element.className && typeof element.className === 'string') {
      name += '.' + element.className.trim().split(/\s+/).join('.');
    }
    return name;
  }
  var results = [];
  var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (var node = walker.nextNode(); node; node = walker.nextNode()) {
    var text = node.textContent.replace(/[\s\u00a0\u200b-\u200d\u034f\ufeff]+/g, ' ').trim();
    if (!text) { continue; }
    var element = node.parentElement;
    if (!element || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'OPTION'].indexOf(element.tagName) >= 0) { continue; }
    if (!element.checkVisibility({opacityProperty: true, visibilityProperty: true})) { continue; }
    var range = document.createRange();
    range.selectNodeContents(node);
    var box = range.getBoundingClientRect();
    if (box.width < 1 || box.height < 1) { continue; }
    var style = getComputedStyle(element);
    var behind = background(element);
    var fg = over(rgba(style.color), behind.color);
    var a = luminance(fg), b = luminance(behind.color);
    var ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    results.push({
      text: text.slice(0, 60), element: describe(element), ratio: Math.round(ratio * 100) / 100,
      color: style.color, background: 'rgb(' + behind.color.slice(0, 3).map(Math.round).join(', ') + ')',
      over_image: behind.image
    });
  }
  return results;
})()
"""


@dataclass(frozen=True)
class TextContrast:
    """One visible text run, the colours it is drawn in, and their contrast ratio."""

    text: str
    element: str
    ratio: float
    color: str
    background: str
    over_image: bool

    @classmethod
    def from_script(cls, data: dict[str, Any]) -> TextContrast:
        return cls(**data)

    def __str__(self) -> str:
        return f"{self.ratio}:1 {self.element} {self.color} on {self.background}: {self.text!r}"


def too_faint(measured: list[TextContrast], minimum: float = MINIMUM_CONTRAST) -> list[str]:
    """Every text below ``minimum`` (WCAG AA for body text), described for an assertion."""
    return [str(item) for item in measured if item.ratio < minimum]
