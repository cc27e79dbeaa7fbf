/* page_style.h - the look of the pages the server writes itself (listings
 * and error pages): one stylesheet, light and dark (prefers-color-scheme),
 * inline, since their Content-Security-Policy allows nothing else. */
#ifndef PAGE_STYLE_H
#define PAGE_STYLE_H

#define PAGE_STYLE                                                                         \
	":root{color-scheme:light dark;--bg:#fafafa;--fg:#1d1d1f;--mute:#5f6368;"            \
	"--line:#e3e3e6;--link:#0a58ca;--row:#f0f0f3}\n"                                    \
	"@media (prefers-color-scheme:dark){:root{--bg:#151517;--fg:#e6e6e9;--mute:#a1a1aa;" \
	"--line:#2c2c31;--link:#7cb4ff;--row:#1f1f23}}\n"                                    \
	"body{font:15px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;"         \
	"margin:0;color:var(--fg);background:var(--bg)}\n"                                  \
	"main{max-width:60rem;margin:2rem auto;padding:0 1rem}\n"                            \
	"h1{font-size:1.25rem;font-weight:600;overflow-wrap:anywhere}\n"                     \
	"a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}\n"      \
	"p{color:var(--mute)}code{font-size:.95em}\n"

#endif
