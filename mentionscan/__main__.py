from mentionscan.cli import main

main()
