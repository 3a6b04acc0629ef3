"""shares"""
