"""A panel of results as one contact sheet: outputs of many (content, style) pairs in rows,
each with the measures of ``nst eval style`` under it (``nst eval sheet`` shows one pair with
its photo and painting; this shows many pairs, and leaves the photos out unless asked, so a
sheet can be published where the photographs may not be: see ../shared/README.md).

    .venv/bin/python scripts/eval_panel.py -o panel.jpg --per-row 4 \\
        photo.jpg:painting.jpg:out.png  photo.jpg:other.jpg:out2.png ...

Prints one JSON line of measures per output on stdout (the ``nst eval style --json`` record).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nst_pipeline import images  # noqa: E402
from nst_pipeline.cli.eval_sheet import output_tile  # noqa: E402
from nst_pipeline.cli.eval_style import load_inputs, pick_encoder  # noqa: E402
from nst_pipeline.measures.sheet import PAPER, Tile, compose  # noqa: E402
from nst_pipeline.scoring import measure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("triples", nargs="+", help="CONTENT:STYLE:OUTPUT")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--per-row", type=int, default=4)
    parser.add_argument("--height", type=int, default=160)
    parser.add_argument("--with-photos", action="store_true", help="start each output's tile pair with its photo")
    parser.add_argument("--quality", type=int, default=85, help="JPEG quality (a .jpg -o)")
    args = parser.parse_args()
    triples = [tuple(Path(p) for p in t.split(":")) for t in args.triples]
    if any(len(t) != 3 for t in triples):
        parser.error("each item is CONTENT:STYLE:OUTPUT")
    images.check_output_path(args.output, [p for t in triples for p in t])
    enc = pick_encoder(None, None, None, None, None)
    tiles = []
    for content, style, out in triples:
        image, content_t, style_ts = load_inputs(out, content, [style])
        m = measure(enc.encode, image, content_t, style_ts, enc.content_layers, enc.style_layers)
        print(json.dumps({"output": str(out), "content_image": str(content), "style_image": str(style), **m.as_dict()}))
        picture = images.to_array(image)
        tile = output_tile(out, picture, m)
        if args.with_photos:
            tiles.append(Tile(images.to_array(content_t), [content.name, "content (the photo)"]))
        tiles.append(Tile(tile.image, [f"{content.stem} x {style.stem}", *tile.lines[1:]], tile.alert, tile.box))
    step = args.per_row * (2 if args.with_photos else 1)
    rows = [compose(tiles[i:i + step], args.height) for i in range(0, len(tiles), step)]
    sheet = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows)), PAPER)
    for i, row in enumerate(rows):
        sheet.paste(row, (0, sum(r.height for r in rows[:i])))
    fmt = images.WRITABLE_SUFFIXES[args.output.suffix.lower()]
    extra = {"quality": args.quality} if fmt in ("JPEG", "WEBP") else {}
    images.atomic_write(args.output, lambda tmp: sheet.save(tmp, format=fmt, **extra))
    print(f"wrote {args.output} ({sheet.width}x{sheet.height}, {len(triples)} outputs)", file=sys.stderr)


if __name__ == "__main__":
    main()
