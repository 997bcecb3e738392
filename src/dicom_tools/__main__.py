from dicom_tools.cli import main

raise SystemExit(main())
