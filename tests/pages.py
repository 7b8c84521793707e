"""Walk a list page by page, as a user does, along its link to the next page.

    ids, pages = follow_pages(client, "/breaches", r'href="/breaches/(\\d+)"')

The lists page by key (``licensing.paging``): each page links to the next with ``after=``
and, past the first, back to the top.
"""

from __future__ import annotations

import re


def follow_pages(client, url: str, row: str, *, next_label: str = "下一页",
                 back_label: str = "回到第一页") -> tuple[list[int], int]:
    """The ids (``row``: a pattern with one group) of the rows shown along the ``next_label``
    links from ``url``, in order, and the number of pages.

    An id the pattern finds twice on one page (a row with two links) counts once there; an
    id on two pages counts twice, so a walk that shows a row again is seen. Every page but
    the top one (the first of the walk, unless ``url`` asks for a page by number) must offer
    ``back_label``, and the top one must not.
    """
    ids, pages = [], 0
    while url:
        html = client.get(url).get_data(as_text=True)
        assert (back_label in html) == (pages > 0 or "page=" in url), (url, back_label)
        pages += 1
        ids += list(dict.fromkeys(int(found) for found in re.findall(row, html)))
        following = re.search(rf'href="([^"]*after=[^"]*)"[^>]*>{next_label}<', html)
        url = following.group(1).replace("&amp;", "&") if following else None
    return ids, pages
