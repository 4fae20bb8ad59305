"""The inbox's layout and colours (Textual CSS): two panes side by side, or one above the other."""

CSS = """
Screen { layout: vertical; }
#top { height: 1; background: $primary-background; padding: 0 1; }
#panes { height: 1fr; layout: horizontal; }
#panes.narrow { layout: vertical; }
#left { width: 3fr; height: 1fr; }
#panes.narrow #left { width: 1fr; height: 2fr; }
#heading { height: 1; padding: 0 0 0 0; }
#list { height: 1fr; padding-right: 1; }
#detail { width: 2fr; height: 1fr; border-left: tall $primary-background; padding: 0 1; }
#panes.narrow #detail { width: 1fr; height: 3fr; border-left: none;
                        border-top: tall $primary-background; }
#status { height: 1; padding: 0 1; }
.dialog { width: 72; height: auto; max-height: 90%; border: round $accent; padding: 1 2;
          background: $surface; }
Ask, SendOrKeep, Help { align: center middle; }
"""
