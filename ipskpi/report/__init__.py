"""Static commissioner reports ("what people read") from the public marts.

``build_reports(published_db, out_dir)`` writes ``england.html``, one
``<PROVIDER>.html`` per provider and ``index.html``: self-contained HTML with inline
CSS and SVG charts, no script and no external resource, so the files work offline and
can be e-mailed or put on any static web server.
"""

from ipskpi.report.build import build_reports, build_warehouse_reports, report_dir

__all__ = ["build_reports", "build_warehouse_reports", "report_dir"]
