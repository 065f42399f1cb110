"""Colours and type: calm, high-contrast, colour-blind-safe (Okabe-Ito palette).

State is never shown by colour alone: the meter also says it in words and by fill height, and
the plots tell traces apart by width and dash as well as colour (the vermillion line and an
orange trace look alike under deuteranopia, so the abdominal trace is thin, dotted and
grey-blue, and the line is thick, dashed and labelled).
"""

from __future__ import annotations

BACKGROUND = "#F6F5F1"
PANEL = "#FFFFFF"
TEXT = "#1F2328"
MUTED = "#5A6270"
GRID = "#D9D7D0"
GRID_MINOR = "#EFEEEA"

# Okabe & Ito (2008) colour-universal-design palette
BLUE = "#0072B2"
SKY = "#56B4E9"
GREEN = "#009E73"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"

EMG_RAW = "#7A8699"
ENVELOPE = BLUE
ACCESSORY = "#6F8FAF"  # grey-blue, drawn thin and dotted: never mistaken for the line
PRESSURE = PURPLE
THRESHOLD = VERMILLION
BASELINE_BAND = (0, 158, 115, 45)  # GREEN, translucent
REFERENCE_BAND = (90, 98, 112, 70)  # MUTED, hatched: published values, context only
CONTRACTION_SPAN = (230, 159, 0, 28)  # ORANGE, very light
GAP_SPAN = (90, 98, 112, 30)
MARKER = MUTED
STEP = GREEN
NO_SIGNAL = "#B8BDC6"  # traces greyed when the link is stale
WATERMARK = (90, 98, 112, 60)
LABEL_FILL = (255, 255, 255, 210)
RELAXED = BLUE
TENSE = ORANGE

BASE_FONT_PT = 12
METER_FONT_PT = 30

STYLESHEET = f"""
QWidget {{ background: {BACKGROUND}; color: {TEXT}; font-size: {BASE_FONT_PT}pt; }}
QPushButton {{ background: {PANEL}; border: 1px solid {GRID}; border-radius: 6px;
               padding: 6px 14px; }}
QPushButton:hover {{ border-color: {BLUE}; }}
QPushButton:disabled {{ color: {MUTED}; }}
QPushButton#primary {{ background: {BLUE}; color: white; border: none; font-weight: 600; }}
QPushButton#primary:disabled {{ background: #B7CCDA; color: #EEF3F7; }}
QPushButton:checked {{ background: #DCEBF5; border-color: {BLUE}; }}
QComboBox {{ background: {PANEL}; border: 1px solid {GRID}; border-radius: 6px; padding: 4px 8px; }}
QStatusBar {{ color: {MUTED}; }}
QLabel#hint {{ color: {MUTED}; }}
QLabel#banner {{ background: #FFF4D6; border: 1px solid {ORANGE}; border-radius: 6px;
                 padding: 6px 10px; }}
"""
