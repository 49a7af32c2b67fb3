"""Present: charts, labels, the Excel report and the Overview figure catalogue."""
