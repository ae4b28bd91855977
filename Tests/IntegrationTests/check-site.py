#!/usr/bin/env python3
"""Parses every page of a generated site as HTML5 with html5lib in strict mode (any parse error fails),
the Atom feed as XML and projects.json as JSON. Prints what it checked; exits 1 on the first failure.
With --html-only, only the pages (a directory of report.get's HTML pages, say).
    check-site.py [--html-only] SITE_DIRECTORY"""
import json
import os
import sys
import xml.etree.ElementTree as ElementTree

import html5lib

html_only = sys.argv[1] == "--html-only"
root = sys.argv[-1]
pages = 0
for directory, _, names in os.walk(root):
    for name in sorted(names):
        path = os.path.join(directory, name)
        if name.endswith(".html"):
            with open(path, "rb") as page:
                try:
                    html5lib.HTMLParser(strict=True).parse(page)
                except Exception as error:  # html5lib raises ParseError with the position
                    print(f"{os.path.relpath(path, root)}: not valid HTML5: {error}")
                    sys.exit(1)
            pages += 1
if html_only:
    print(f"{pages} pages parse as HTML5")
    sys.exit(0 if pages else 1)
feed = ElementTree.parse(os.path.join(root, "feed.xml")).getroot()
if feed.tag != "{http://www.w3.org/2005/Atom}feed":
    print(f"feed.xml: not an Atom feed ({feed.tag})")
    sys.exit(1)
with open(os.path.join(root, "projects.json"), encoding="utf-8") as projects:
    json.load(projects)
print(f"{pages} pages parse as HTML5; feed.xml is Atom; projects.json is JSON")
