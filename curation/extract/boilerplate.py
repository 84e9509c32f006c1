"""Page furniture that a page's own markup names: the elements the routed extractor's first pass skips.

Resiliparse's main-content heuristics drop navigation, headers and footers, but keep much of what sits next to
an article inside the content column: share bars, "related articles" lists, comment sections under a news story,
photo captions, newsletter boxes, bylines, cookie notices. Templates name these blocks in their ``class`` and
``id`` attributes (``post-share``, ``related-posts``, ``comments-area``, ``wp-caption``, ``newsletter-signup``),
so Resiliparse is told to skip every element whose class or id contains one of the names below
(``skip_elements``, evaluated by lexbor's selector engine in native code, about 2 ms a page).

The names are grouped by the role of the block, not tuned page by page. A name can also appear on a wrapper that
holds the main text (``<div class="content has-sidebar">``, ``<article class="post author-jane">``): an element
that holds an ``<h1>`` is never skipped, and the routed extractor keeps the unskipped text whenever skipping
removed more than half of it (``RoutingRule.boilerplate_keep_share``). Resiliparse's ``post_meta`` (bylines,
dates, tag lists of a blog post) is off in the same pass.

Effect on the routed extractor, ``../shared/data/extraction`` (``benchmarks/extraction.py``): word F1 on the 181
scrapinghub articles 0.918 -> 0.948, on wcxb-dev articles 0.933 -> 0.942, forums 0.749 -> 0.759, product pages
0.683 -> 0.696, listings and service pages 0.002 lower (figures in ``docs/extraction.md``).
"""

from __future__ import annotations

from collections.abc import Sequence

BOILERPLATE_NAMES: dict[str, tuple[str, ...]] = {
    "sharing": ("share", "social"),
    "related items": ("related", "recommend", "popular", "trending", "more-stories", "most-read"),
    "comment sections": ("comment", "disqus", "respond"),
    "captions": ("caption",),
    "promotions": ("newsletter", "subscribe", "promo", "advert", "sponsor"),
    "article metadata": ("byline", "author", "dateline", "timestamp"),
    "page furniture": ("breadcrumb", "sidebar", "footer", "widget"),
    "consent notices": ("cookie", "consent"),
}
"""Substrings of ``class`` / ``id`` values (matched case-insensitively), by the role of the block they name."""

BOILERPLATE_TAGS: tuple[str, ...] = ("figcaption",)
"""Elements skipped whatever their attributes."""

NOT_A_WRAPPER = ":not(:has(h1))"
"""An element that holds the page's main heading wraps the content, whatever its class says (WordPress and
Elementor put ``has-sidebar``, ``author-jane`` or ``elementor-widget-wrap`` on the post's own containers)."""


def boilerplate_selectors(names: Sequence[str] | None = None, tags: Sequence[str] = BOILERPLATE_TAGS) -> list[str]:
    """CSS selectors for Resiliparse's ``skip_elements``: one selector list, so lexbor matches it in one pass.

    Args:
        names: substrings of class / id values; all of ``BOILERPLATE_NAMES`` when None.
        tags: element names skipped whatever their attributes.

    Returns:
        A one-element list (``[]`` when there is nothing to skip).

    Raises:
        ValueError: a name holding a quote or a backslash, which cannot stand in the selector as written.
    """
    if names is None:
        names = [name for group in BOILERPLATE_NAMES.values() for name in group]
    parts = list(tags)
    for name in names:
        if not name or any(character in name for character in '"\\\n'):
            raise ValueError(f"boilerplate name {name!r} cannot be used in a CSS selector")
        parts += [f'[class*="{name}" i]{NOT_A_WRAPPER}', f'[id*="{name}" i]{NOT_A_WRAPPER}']
    return [", ".join(parts)] if parts else []
