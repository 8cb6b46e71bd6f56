from voxcore.cli import main

raise SystemExit(main())
