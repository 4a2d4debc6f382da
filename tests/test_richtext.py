"""Formatted text renders its formatting and nothing dangerous."""

from html.parser import HTMLParser

from coordapp.richtext import render_markdown


def test_formatting_is_kept():
    html = render_markdown(
        "Para **bold** and *italic*\n\n- one\n- two\n\n[site](https://example.org)"
    )
    assert "<strong>bold</strong>" in html and "<em>italic</em>" in html
    assert "<li>one</li>" in html
    assert 'href="https://example.org"' in html


class _Tags(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_raw_html_and_scripts_are_inert():
    payloads = [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "![img](file:///etc/passwd)",
        "<iframe src='http://127.0.0.1/'></iframe>",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
    ]
    for payload in payloads:
        tags = _Tags(str(render_markdown(payload))).tags
        for tag, attrs in tags:
            assert tag in {"p", "a"}, (payload, tag)
            assert not any(name.startswith("on") for name in attrs), payload
            assert not attrs.get("href", "https:").startswith(("javascript:", "data:")), payload


def test_empty_text_renders_nothing():
    assert render_markdown(None) == "" and render_markdown("") == ""
