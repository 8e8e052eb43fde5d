from salescli import main

main()
