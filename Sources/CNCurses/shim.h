#ifndef LATHE_CNCURSES_SHIM_H
#define LATHE_CNCURSES_SHIM_H
/* ncursesw with its wide-character API visible, plus one-line C functions for what Swift cannot import
   (macros, global variables under strict concurrency). */
#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <langinfo.h>
#include <stdio.h>
#include <wchar.h>
#include <ncursesw/curses.h>

static inline WINDOW *lathe_stdscr(void) { return stdscr; }
static inline int lathe_lines(void) { return LINES; }
static inline int lathe_cols(void) { return COLS; }
static inline int lathe_colors(void) { return COLORS; }
static inline int lathe_color_pairs(void) { return COLOR_PAIRS; }
static inline int lathe_key_resize(void) { return KEY_RESIZE; }
static inline int lathe_key_f(int n) { return KEY_F(n); }
static inline attr_t lathe_a_bold(void) { return A_BOLD; }
static inline attr_t lathe_a_dim(void) { return A_DIM; }
static inline attr_t lathe_a_underline(void) { return A_UNDERLINE; }
static inline attr_t lathe_a_reverse(void) { return A_REVERSE; }
static inline attr_t lathe_a_italic(void) { return A_ITALIC; }

/* Puts one wide character with attributes and an extended colour pair at (y, x). */
static inline int lathe_put_cell(int y, int x, const wchar_t *wch, attr_t attrs, int pair) {
    cchar_t c;
    if (setcchar(&c, wch, attrs, 0, &pair) != OK) return ERR;
    return mvadd_wch(y, x, &c);
}

/* The codeset of the current locale ("UTF-8" when wide characters can be printed). */
static inline const char *lathe_codeset(void) { return nl_langinfo(CODESET); }

/* A terminal on stdin/stdout, or NULL when TERM is unset or unknown (initscr would exit the process). */
static inline SCREEN *lathe_newterm(const char *term) { return newterm(term, stdout, stdin); }
#endif
