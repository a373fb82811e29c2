from pexmail.cli import main

main()
