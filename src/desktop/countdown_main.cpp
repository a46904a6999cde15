// patchkeeper-countdown: the final restart countdown window.
//
//   patchkeeper-countdown --seconds-left SECONDS
//
// Shows the time left until the restart, SECONDS from its start, in the
// window's text and in its title ("Restart in 1:29:59"). It counts on
// CLOCK_BOOTTIME, so setting the wall clock back or forward does not change
// the time left; the restart time in local time is the wall clock at the
// start plus SECONDS. The window is kept
// above other windows, has no close or minimise button, ignores requests to
// close it and undoes minimising. The agent starts one in each graphical
// session as that session's user and starts it again if it exits.
//
// Keeping a window above others needs an X11 window manager that honours
// _NET_WM_STATE_ABOVE. On Wayland, compositors decide the stacking order
// themselves, so there the window opens as an ordinary window (through
// XWayland when GDK_BACKEND=x11 is set, still without a guarantee).
//
// Exit status: 0 when closed by a signal; 2 on invalid arguments; 1 when no
// display can be opened.

#include <gtk/gtk.h>
#include <time.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

#include "desktop/notice_text.h"

namespace {

// CLOCK_BOOTTIME in whole seconds: it keeps counting while the machine sleeps
// and does not follow changes of the wall clock.
long long bootSeconds() {
  timespec now{};
  clock_gettime(CLOCK_BOOTTIME, &now);
  return static_cast<long long>(now.tv_sec);
}

struct Countdown {
  long long seconds_left = 0;
  long long end_boot_seconds = 0;  // on CLOCK_BOOTTIME
  GtkWidget* window = nullptr;
  GtkWidget* remaining = nullptr;
};

std::string localRestartTime(long long seconds_left) {
  const auto time = static_cast<std::time_t>(std::time(nullptr) + seconds_left);
  std::tm local{};
  localtime_r(&time, &local);
  char text[64];
  std::strftime(text, sizeof(text), "%H:%M", &local);
  return text;
}

gboolean refresh(gpointer data) {
  auto* countdown = static_cast<Countdown*>(data);
  const auto left = std::chrono::seconds(countdown->end_boot_seconds - bootSeconds());
  const auto title = pk::desktop::formatCountdownTitle(left);
  gtk_window_set_title(GTK_WINDOW(countdown->window), title.c_str());
  const auto markup =
      "<span size='xx-large' weight='bold'>" + pk::desktop::formatRemaining(left) + "</span>";
  gtk_label_set_markup(GTK_LABEL(countdown->remaining), markup.c_str());
  return G_SOURCE_CONTINUE;
}

// Returning TRUE stops the default handler, which would destroy the window.
gboolean ignoreDelete(GtkWidget*, GdkEvent*, gpointer) {
  return TRUE;
}

gboolean undoMinimise(GtkWidget* widget, GdkEventWindowState* event, gpointer) {
  if ((event->new_window_state & GDK_WINDOW_STATE_ICONIFIED) != 0) {
    gtk_window_deiconify(GTK_WINDOW(widget));
    gtk_window_present(GTK_WINDOW(widget));
  }
  return FALSE;
}

// Asks the window manager (through Motif hints) to offer moving only: no
// close, minimise, maximise or resize buttons. Openbox 3.6 keeps the close
// button whatever the hints, so ignoreDelete and undoMinimise stay needed.
void limitDecorations(GtkWidget* widget, gpointer) {
  GdkWindow* window = gtk_widget_get_window(widget);
  gdk_window_set_functions(window, GDK_FUNC_MOVE);
  gdk_window_set_decorations(window,
                             static_cast<GdkWMDecoration>(GDK_DECOR_BORDER | GDK_DECOR_TITLE));
}

bool parseSecondsLeft(int argc, char** argv, long long& seconds) {
  if (argc != 3 || std::string_view(argv[1]) != "--seconds-left") return false;
  const std::string_view text(argv[2]);
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  return error == std::errc() && end == text.data() + text.size() && seconds >= 0;
}

}  // namespace

int main(int argc, char** argv) {
  Countdown countdown;
  if (!parseSecondsLeft(argc, argv, countdown.seconds_left)) {
    std::fprintf(stderr,
                 "patchkeeper-countdown: usage: patchkeeper-countdown --seconds-left SECONDS, "
                 "where SECONDS is the whole number of seconds until the restart\n");
    return 2;
  }
  countdown.end_boot_seconds = bootSeconds() + countdown.seconds_left;
  if (!gtk_init_check(nullptr, nullptr)) {
    std::fprintf(stderr,
                 "patchkeeper-countdown: cannot open the display; check DISPLAY and "
                 "XAUTHORITY\n");
    return 1;
  }

  countdown.window = gtk_window_new(GTK_WINDOW_TOPLEVEL);
  GtkWindow* window = GTK_WINDOW(countdown.window);
  gtk_window_set_role(window, "patchkeeper-countdown");
  gtk_window_set_type_hint(window, GDK_WINDOW_TYPE_HINT_DIALOG);
  gtk_window_set_keep_above(window, TRUE);
  gtk_window_set_deletable(window, FALSE);
  gtk_window_set_resizable(window, FALSE);
  gtk_window_stick(window);
  gtk_window_set_position(window, GTK_WIN_POS_CENTER);
  gtk_container_set_border_width(GTK_CONTAINER(window), 24);
  g_signal_connect(countdown.window, "delete-event", G_CALLBACK(ignoreDelete), nullptr);
  g_signal_connect(countdown.window, "window-state-event", G_CALLBACK(undoMinimise), nullptr);
  g_signal_connect_after(countdown.window, "realize", G_CALLBACK(limitDecorations), nullptr);

  GtkWidget* box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget* heading = gtk_label_new(nullptr);
  gtk_label_set_markup(GTK_LABEL(heading),
                       "<span size='large' weight='bold'>The computer restarts soon</span>");
  countdown.remaining = gtk_label_new(nullptr);
  const auto explanation =
      "Security updates were installed. Save your work: the computer "
      "restarts at " +
      localRestartTime(countdown.seconds_left) + ".\nThis restart cannot be postponed.";
  GtkWidget* detail = gtk_label_new(explanation.c_str());
  gtk_label_set_justify(GTK_LABEL(detail), GTK_JUSTIFY_CENTER);
  gtk_box_pack_start(GTK_BOX(box), heading, FALSE, FALSE, 0);
  gtk_box_pack_start(GTK_BOX(box), countdown.remaining, FALSE, FALSE, 0);
  gtk_box_pack_start(GTK_BOX(box), detail, FALSE, FALSE, 0);
  gtk_container_add(GTK_CONTAINER(window), box);

  refresh(&countdown);
  g_timeout_add(250, refresh, &countdown);
  gtk_widget_show_all(countdown.window);
  gtk_main();
  return 0;
}
